#include "benchmarks/blas_info.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace soho::bench {

std::string BlasDescription() {
  using NameFn = char* (*)();
  using CountFn = int (*)();
  auto* core = reinterpret_cast<NameFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (core == nullptr) return "not OpenBLAS (e.g. the netlib reference BLAS, or MKL)";
  auto* config = reinterpret_cast<NameFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  auto* threads = reinterpret_cast<CountFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return absl::StrCat("OpenBLAS (", config != nullptr ? config() : "", ", core ", core(), ", ",
                      threads != nullptr ? absl::StrCat(threads()) : "?", " threads)");
}

}  // namespace soho::bench
