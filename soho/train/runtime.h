#pragma once
// Process-wide settings of a run, applied once before the model is built (so that its
// initialization is seeded): torch's and OpenBLAS's threads (runtime.num_threads), the seed of
// torch's generators (runtime.seed + rank: ranks drop out different units), deterministic
// kernels (runtime.deterministic), and the device, checked to exist.
#include "absl/status/statusor.h"
#include "c10/core/Device.h"
#include "soho/proto/config.pb.h"

namespace soho::train {

absl::StatusOr<c10::Device> SetUpRuntime(const proto::RuntimeConfig& runtime, int rank = 0);

}  // namespace soho::train
