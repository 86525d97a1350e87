#pragma once
// Test helper: runs a snippet under Debian's PyTorch (/usr/bin/python3) on tensors from C++
// and returns the tensors it produced, for parity checks against an independent computation.
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace soho::model::testing {

using TensorMap = std::map<std::string, at::Tensor>;

// The snippet sees `torch`, `F` (torch.nn.functional), `math`, a dict `inputs`, a list of
// strings `args` (passed verbatim: no shell), and fills the dict `outputs`. CHECK-fails
// (with Python's stderr) if the script fails.
TensorMap RunPython(const std::string& snippet, const TensorMap& inputs,
                    const std::vector<std::string>& args = {});

// Writes `tensors` as a {name: tensor} dict that Python's torch.load reads.
void SaveTensorMap(const TensorMap& tensors, const std::string& path);
TensorMap LoadTensorMap(const std::string& path);

}  // namespace soho::model::testing
