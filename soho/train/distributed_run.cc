#include "soho/train/distributed_run.h"

#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/train/data_parallel.h"
#include "soho/train/sync_batch_norm.h"

namespace soho::train {

absl::StatusOr<DistributedRun> DistributedRun::Connect(const std::optional<DistributedEnv>& env,
                                                       const proto::SohoConfig& config, c10::Device device) {
  DistributedRun run;
  run.env_ = env;
  if (!env) return run;
  SOHO_ASSIGN_OR_RETURN(run.context_, DistributedContext::Connect(*env, device,
                                                                  std::chrono::seconds(config.runtime().dist_timeout_s())));
  run.collective_ = std::make_shared<ProcessGroupCollective>(run.context_);
  return run;
}

model::BatchNormFn DistributedRun::neck_batch_norm(const proto::SohoConfig& config) const {
  if (!distributed() || !config.model().neck().sync_bn()) return nullptr;
  return SyncBatchNormFn(collective_);
}

proto::SohoConfig DistributedRun::ResumeAfterRestart(proto::SohoConfig config) const {
  if (env_ && env_->restart_count > 0 && config.runtime().resume_from().empty()) {
    LOG(INFO) << "restart " << env_->restart_count << " of the group: resuming from the latest checkpoint in "
              << config.runtime().work_dir();
    config.mutable_runtime()->set_resume_from("auto");
  }
  return config;
}

absl::StatusOr<TrainerOptions> DistributedRun::TrainerOptionsFor(torch::nn::Module& model) const {
  TrainerOptions options;
  options.rank = rank();
  options.world_size = world_size();
  options.collective = collective_;
  if (distributed()) {
    SOHO_ASSIGN_OR_RETURN(auto data_parallel, DataParallel::Create(model, context_));
    options.gradient_sync = std::move(data_parallel);
  }
  return options;
}

absl::Status DistributedRun::Finish() const {
  if (!distributed()) return absl::OkStatus();
  return context_->Barrier();
}

}  // namespace soho::train
