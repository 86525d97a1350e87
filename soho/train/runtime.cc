#include "soho/train/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include "soho/common/device.h"
#include "soho/common/process_settings.h"
#include "soho/common/status_macros.h"

namespace soho::train {

absl::StatusOr<c10::Device> SetUpRuntime(const proto::RuntimeConfig& runtime, int rank) {
  SOHO_ASSIGN_OR_RETURN(const c10::Device device, ParseDevice(runtime.device(), "runtime.device"));
  if (runtime.num_threads() > 0) {
    at::set_num_threads(runtime.num_threads());
    SetOpenBlasThreads(runtime.num_threads());
  }
  torch::manual_seed(static_cast<uint64_t>(runtime.seed()) + static_cast<uint64_t>(rank));
  if (runtime.deterministic()) at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  return device;
}

}  // namespace soho::train
