#pragma once
// Training checkpoints: one torch.load-able file per checkpoint, laid out as mmcv and the
// official SOHO checkpoints are, so Python tools read ours as they read the reference's:
//
//   {"meta": {"epoch", "epoch_batch", "iter", "config", "time", ...},
//    "state_dict": {key: tensor},                 # the model, reference key names
//    "optimizer": AdamwSgd::StateDict(),          # torch.optim layout
//    "rng": {"torch_cpu": uint8 tensor, "torch_cuda": [uint8 tensor per device]}}
//
// Writes go through a temporary file, fsync and rename: a crash at any instant leaves the
// previous checkpoint intact. A truncated, corrupt or mismatched file is refused with an
// error naming the file and what is wrong.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/ivalue.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/model/weights.h"

namespace soho::train {

// Where a run stands: the next batch to train is batch `epoch_batch` of epoch `epoch`;
// `iteration` batches (global iterations) are done.
struct TrainingPosition {
  int64_t epoch = 0;
  int64_t epoch_batch = 0;
  int64_t iteration = 0;
};

struct Checkpoint {
  TrainingPosition position;
  model::StateDict model;
  c10::IValue optimizer;  // AdamwSgd::StateDict()
  c10::IValue rng;        // CaptureRngState()
  // Mixed-precision loss scale (FP16) and the run's non-finite-step streak.
  double loss_scale = 0;
  int64_t nonfinite_streak = 0;
  // The resolved config (text format) that produced the run.
  std::string config_text;
};

absl::Status SaveCheckpoint(const Checkpoint& checkpoint, const std::string& path);
absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

// The state of every random generator a training step draws from: torch's CPU generator
// (dropout, MVM masking) and each CUDA device's. (The data pipeline's randomness is a pure
// function of seed, epoch and batch index: the position restores it.)
// In a distributed run every rank draws from its own CPU generator (seeded seed + rank):
// `rank_cpu_states` (CpuRngState() of ranks 0..N-1, gathered by the trainer) are stored too,
// and RestoreRngState gives `rank` its own, so that a resumed group continues exactly.
c10::IValue CaptureRngState(const std::vector<at::Tensor>& rank_cpu_states = {});
absl::Status RestoreRngState(const c10::IValue& state, int rank = 0);
// This process's CPU generator state.
at::Tensor CpuRngState();

// The checkpoints of one work dir: periodic epoch_N.pt / iter_N.pt, a `latest.pt` link to the
// newest checkpoint, and only the newest `keep` periodic ones kept (0 keeps all).
class CheckpointDir {
 public:
  CheckpointDir(std::string work_dir, int keep) : work_dir_(std::move(work_dir)), keep_(keep) {}

  // Writes `name` (e.g. "epoch_3.pt"), points latest.pt at it, prunes older ones.
  // Returns the path written.
  absl::StatusOr<std::string> Save(const Checkpoint& checkpoint, const std::string& name);
  // work_dir/latest.pt when it exists, else "".
  std::string Latest() const;
  const std::string& work_dir() const { return work_dir_; }

 private:
  std::string work_dir_;
  int keep_;
};

// Resolves --resume / runtime.resume_from: "" (fresh start), "auto" (work_dir's latest.pt if
// any, else a fresh start), or a path (must exist).
absl::StatusOr<std::string> ResolveResumePath(const std::string& spec, const std::string& work_dir);

}  // namespace soho::train
