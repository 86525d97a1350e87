#include "soho/train/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include "absl/strings/str_cat.h"
#include "soho/common/process_settings.h"

namespace soho::train {

absl::StatusOr<c10::Device> SetUpRuntime(const proto::RuntimeConfig& runtime, int rank) {
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(runtime.device());
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError(absl::StrCat("runtime.device: '", runtime.device(), "' is not a device"));
  }
  if (device.is_cuda() && !at::hasCUDA()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "runtime.device is '", runtime.device(),
        "' but this build has no CUDA (LibTorch CPU build, or no GPU): build with --config=cuda or use device 'cpu'"));
  }
  if (runtime.num_threads() > 0) {
    at::set_num_threads(runtime.num_threads());
    SetOpenBlasThreads(runtime.num_threads());
  }
  torch::manual_seed(static_cast<uint64_t>(runtime.seed()) + static_cast<uint64_t>(rank));
  if (runtime.deterministic()) at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  return device;
}

}  // namespace soho::train
