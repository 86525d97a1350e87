#pragma once
// Turning a device name from a config or a flag into a c10::Device this build can use.
#include <string>

#include "absl/status/statusor.h"
#include "c10/core/Device.h"

namespace soho {

// "cpu", "cuda" or "cuda:N". Errors name `what` (the field or flag, e.g. "runtime.device",
// "--device"): a name LibTorch does not know, or CUDA in a build or machine without it.
absl::StatusOr<c10::Device> ParseDevice(const std::string& name, const std::string& what);

}  // namespace soho
