#pragma once
// The training loop shared by pre-training and VQA fine-tuning (detectron2's / mmcv's shape):
// a TrainTask supplies the model, its batches and its losses; the Trainer owns the optimizer
// (AdamwSgd), the schedule, precision, gradient accumulation and clipping, the run's position
// and its checkpoints; TrainHooks observe it (logging, checkpointing, evaluation).
//
//   SOHO_ASSIGN_OR_RETURN(auto task, PretrainTask::Create(config));
//   SOHO_ASSIGN_OR_RETURN(auto trainer, Trainer::Create(config, task.get(), {}));
//   AddDefaultHooks(*trainer);  // soho/train/hooks.h: logging, checkpoints, evaluation
//   SOHO_RETURN_IF_ERROR(trainer->Run());
//
// One iteration = one batch. The loss is divided by the number of batches in its
// accumulation group (optimizer.update_interval, fewer for the last group of an epoch, as
// mmcv's GradientCumulativeOptimizerHook does) and the optimizer steps at the group's end.
// Checkpoints are taken only at such step boundaries, so a resumed run continues exactly:
// on the CPU with a fixed seed and thread count, interrupted-and-resumed and uninterrupted
// runs end with bit-identical weights.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/common/collective.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"
#include "soho/train/adamw_sgd.h"
#include "soho/train/checkpoint.h"
#include "soho/train/lr_schedule.h"
#include "soho/train/precision.h"

namespace soho::train {

using Scalars = std::map<std::string, double>;

// What is trained: the model, the batches of an epoch, and the loss of a batch.
class TrainTask {
 public:
  virtual ~TrainTask() = default;
  virtual torch::nn::Module& model() = 0;
  virtual std::vector<model::TiedWeight> tied_weights() const = 0;
  // Batches per epoch on this rank.
  virtual int64_t batches_per_epoch() const = 0;
  // Starts `epoch` at batch `first_batch` (non-zero for a run resumed mid-epoch).
  virtual absl::Status StartEpoch(int64_t epoch, int64_t first_batch) = 0;
  // Loads the next batch of the epoch onto the device; false at the end of the epoch.
  virtual absl::StatusOr<bool> NextBatch() = 0;
  // Images in the loaded batch.
  virtual int64_t batch_images() const = 0;
  // Losses of the loaded batch: "loss" (what backward runs on) plus named parts / metrics.
  virtual model::NamedTensors ForwardLosses() = 0;
  // Called before every iteration (the Visual Dictionary's decay ramp).
  virtual void SetIteration(int64_t /*iteration*/) {}
  // Metrics on data.val (eval mode, no gradient); empty when the config has no val split.
  virtual absl::StatusOr<Scalars> Evaluate() = 0;
};

// What one iteration did, for hooks.
struct IterationStats {
  int64_t epoch = 0;
  int64_t epoch_batch = 0;  // 0-based index of the batch just trained
  int64_t iteration = 0;    // iterations done, this one included
  double lr = 0;
  Scalars losses;           // the batch's losses and metrics
  bool stepped = false;     // the optimizer stepped after this batch
  double grad_norm = 0;     // before clipping; valid when stepped
  int64_t images = 0;
  double data_seconds = 0;  // waiting for the batch
  double step_seconds = 0;  // forward, backward, optimizer
};

class Trainer;

// Observers of the loop. Non-OK statuses stop the run.
class TrainHook {
 public:
  virtual ~TrainHook() = default;
  virtual absl::Status BeforeRun(Trainer& /*trainer*/) { return absl::OkStatus(); }
  virtual absl::Status AfterIteration(Trainer& /*trainer*/, const IterationStats& /*stats*/) {
    return absl::OkStatus();
  }
  // At optimizer-step boundaries only (safe points for checkpoints).
  virtual absl::Status AfterStep(Trainer& /*trainer*/) { return absl::OkStatus(); }
  virtual absl::Status AfterEpoch(Trainer& /*trainer*/, int64_t /*epoch*/) { return absl::OkStatus(); }
  // `interrupted`: the run stops early on SIGINT/SIGTERM.
  virtual absl::Status AfterRun(Trainer& /*trainer*/, bool /*interrupted*/) { return absl::OkStatus(); }
};

// Data parallelism as the loop sees it (soho/train/data_parallel.h implements it with c10d's
// Reducer). Without one, the Trainer runs a single process.
class GradientSync {
 public:
  virtual ~GradientSync() = default;
  // Makes every rank's parameters and buffers rank 0's (once, before the first iteration).
  virtual absl::Status BroadcastFromRank0() = 0;
  // Backward of `loss`. With `average` (the last batch of an accumulation group) the
  // gradients end averaged over the ranks; otherwise they only accumulate locally, without
  // any communication.
  virtual absl::Status Backward(const at::Tensor& loss, bool average) = 0;
  // After an optimizer step: buffers (BatchNorm running statistics) from rank 0, as
  // PyTorch's DDP broadcast_buffers, so that checkpoints and evaluation agree across ranks.
  virtual absl::Status SyncBuffers() = 0;
  // Whether `flag` is true on any rank (a stop signal that reached only some of them).
  virtual absl::StatusOr<bool> AnyRank(bool flag) = 0;
  // Every rank's `tensor` (same shape and type on all), in rank order.
  virtual absl::StatusOr<std::vector<at::Tensor>> AllGather(const at::Tensor& tensor) = 0;
};

struct TrainerOptions {
  // Distributed seams: rank 0 alone writes logs and checkpoints.
  int rank = 0;
  int world_size = 1;
  std::shared_ptr<Collective> collective;
  std::shared_ptr<GradientSync> gradient_sync;  // null: one process
};

class Trainer {
 public:
  // Builds the optimizer and schedule, loads runtime.init_from weights, and resumes from
  // runtime.resume_from ("auto": work_dir/latest.pt when present). Sets threads and seeds.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const proto::SohoConfig& config, TrainTask* task,
                                                          TrainerOptions options);

  void AddHook(std::unique_ptr<TrainHook> hook) { hooks_.push_back(std::move(hook)); }

  // Trains until the end of the schedule, or until SIGINT/SIGTERM (then a checkpoint is
  // written and the status is kCancelled, naming the signal and the checkpoint).
  absl::Status Run();

  // The run's state as a checkpoint (model, optimizer, position, RNG, loss scale, config).
  Checkpoint MakeCheckpoint() const;

  const proto::SohoConfig& config() const { return config_; }
  TrainTask& task() { return *task_; }
  const TrainingPosition& position() const { return position_; }
  const LrSchedule& schedule() const { return schedule_; }
  const AdamwSgd& optimizer() const { return optimizer_; }
  int64_t total_iters() const { return schedule_.total_iters(); }
  bool is_main_process() const { return options_.rank == 0; }
  const TrainerOptions& options() const { return options_; }
  // Where the run resumed from ("" for a fresh start).
  const std::string& resumed_from() const { return resumed_from_; }

 private:
  Trainer(const proto::SohoConfig& config, TrainTask* task, TrainerOptions options, AdamwSgd optimizer);

  absl::Status Resume(const std::string& path);
  // One batch: forward, backward, and at a group's end the optimizer step.
  absl::StatusOr<IterationStats> TrainIteration(double data_seconds);
  // Unscale, clip, check, step; returns the gradient norm (non-finite: step skipped).
  absl::StatusOr<double> OptimizerStep(double lr);
  template <typename F>
  absl::Status ForEachHook(F&& f);

  proto::SohoConfig config_;
  TrainTask* task_;
  TrainerOptions options_;
  AdamwSgd optimizer_;
  LrSchedule schedule_;
  LossScaler scaler_;
  c10::Device device_;
  TrainingPosition position_;
  std::string resumed_from_;
  int64_t nonfinite_streak_ = 0;
  bool group_has_nonfinite_loss_ = false;
  // Distributed: every rank's CPU generator state after the last step (for checkpoints).
  std::vector<at::Tensor> rank_rng_states_;
  std::vector<std::unique_ptr<TrainHook>> hooks_;
};

}  // namespace soho::train
