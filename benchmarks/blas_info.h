#pragma once
// Which BLAS library LibTorch's matrix products call in this process, for benchmark reports
// (Debian's LibTorch calls whatever libblas.so.3 the system alternative points at).
#include <string>

namespace soho::bench {

// "OpenBLAS (<build config>, core <kernel set>, <n> threads)" when OpenBLAS is loaded,
// else a line saying it is not.
std::string BlasDescription();

}  // namespace soho::bench
