#pragma once
// Reads .safetensors files (what Hugging Face ships by default): an 8-byte little-endian
// header length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
// "__metadata__": {...}}, then the raw little-endian tensor bytes. Every offset, size and
// dtype is checked against the file; errors name the file and the tensor.
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soho::model {

// True when `bytes` (a file's first bytes, at least 9) look like a safetensors header.
bool LooksLikeSafetensors(absl::string_view bytes);

// Named tensors in file order (by data offset).
absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> ReadSafetensors(const std::string& path);

}  // namespace soho::model
