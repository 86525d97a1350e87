#pragma once
// A training run's place among the ranks, as the commands and tests set it up: read the
// launcher's variables, connect (soho/train/process_group.h), and hand the task and the
// Trainer their distributed pieces: the Collective (Visual Dictionary), SyncBatchNorm for the
// neck (model.neck.sync_bn) and data parallelism (soho/train/data_parallel.h). Without the
// variables every piece is the single-process one.
//
//   SOHO_ASSIGN_OR_RETURN(auto env, ReadDistributedEnv());
//   SOHO_ASSIGN_OR_RETURN(placement.device, SetUpRuntime(config.runtime(), env ? env->rank : 0));
//   SOHO_ASSIGN_OR_RETURN(DistributedRun run, DistributedRun::Connect(env, config, placement.device));
//   ... build the task with run.placement(device) (its Collective included), run.neck_batch_norm(config) ...
//   SOHO_ASSIGN_OR_RETURN(TrainerOptions options, run.TrainerOptionsFor(task->model()));
#include <memory>
#include <optional>

#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include "absl/status/statusor.h"
#include "soho/common/collective.h"
#include "soho/model/conv_module.h"
#include "soho/proto/config.pb.h"
#include "soho/train/dataset_task.h"
#include "soho/train/distributed_env.h"
#include "soho/train/process_group.h"
#include "soho/train/trainer.h"

namespace soho::train {

class DistributedRun {
 public:
  // Single process when `env` is empty; else connects with runtime.dist_timeout_s.
  static absl::StatusOr<DistributedRun> Connect(const std::optional<DistributedEnv>& env,
                                                const proto::SohoConfig& config, c10::Device device);

  bool distributed() const { return context_ != nullptr; }
  int rank() const { return context_ ? context_->rank() : 0; }
  int world_size() const { return context_ ? context_->world_size() : 1; }
  TaskPlacement placement(c10::Device device) const { return {device, rank(), world_size(), collective_}; }
  // SyncBatchNorm when distributed and model.neck.sync_bn; null (the local BatchNorm) otherwise.
  model::BatchNormFn neck_batch_norm(const proto::SohoConfig& config) const;

  // A group that torchrun restarted (TORCHELASTIC_RESTART_COUNT > 0) continues from the
  // work dir's latest checkpoint unless the config names one.
  proto::SohoConfig ResumeAfterRestart(proto::SohoConfig config) const;

  // Rank, world size, Collective and data parallelism over `model`'s parameters.
  absl::StatusOr<TrainerOptions> TrainerOptionsFor(torch::nn::Module& model) const;

  // End of a run: waits until every rank is done, so that rank 0's store (and process)
  // outlives the others' last requests.
  absl::Status Finish() const;

 private:
  std::optional<DistributedEnv> env_;
  std::shared_ptr<DistributedContext> context_;
  std::shared_ptr<Collective> collective_ = std::make_shared<LocalCollective>();
};

}  // namespace soho::train
