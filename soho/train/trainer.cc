#include "soho/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <utility>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/model/weights.h"
#include "soho/proto/config_loader.h"
#include "soho/train/grad_clip.h"
#include "soho/train/stop_signal.h"

namespace soho::train {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

Trainer::Trainer(const proto::SohoConfig& config, TrainTask* task, TrainerOptions options, AdamwSgd optimizer)
    : config_(config),
      task_(task),
      options_(std::move(options)),
      optimizer_(std::move(optimizer)),
      schedule_(config.schedule(), config.optimizer().lr(), task->batches_per_epoch()),
      scaler_(config.runtime().precision() == proto::RuntimeConfig::FP16),
      device_(config.runtime().device()) {}

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const proto::SohoConfig& config, TrainTask* task,
                                                         TrainerOptions options) {
  if (task->batches_per_epoch() <= 0) {
    return absl::FailedPreconditionError("the training split gives no batch (too few images for data.batch_size?)");
  }
  const proto::RuntimeConfig& runtime = config.runtime();
  SOHO_ASSIGN_OR_RETURN(std::string resume, ResolveResumePath(runtime.resume_from(), runtime.work_dir()));
  // Initial weights (skipped when resuming: the checkpoint holds the trained ones).
  if (resume.empty()) {
    for (const std::string& path : runtime.init_from()) {
      SOHO_ASSIGN_OR_RETURN(model::LoadReport report,
                            model::LoadWeightsFile(task->model(), path, task->tied_weights()));
      if (report.loaded.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("runtime.init_from ", path, ": no tensor matches this model (", report.ToString(), ")"));
      }
      LOG(INFO) << "init_from " << path << ": " << report.ToString()
                << (report.missing.empty() ? "" : " (missing ones keep their fresh initialization)");
    }
  }
  SOHO_ASSIGN_OR_RETURN(AdamwSgd optimizer, AdamwSgd::Create(task->model().named_parameters(), config.optimizer()));
  std::unique_ptr<Trainer> trainer(new Trainer(config, task, std::move(options), std::move(optimizer)));
  if (!resume.empty()) SOHO_RETURN_IF_ERROR(trainer->Resume(resume));
  return trainer;
}

absl::Status Trainer::Resume(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(Checkpoint checkpoint, LoadCheckpoint(path));
  const model::LoadReport report = model::LoadStateDict(task_->model(), checkpoint.model, task_->tied_weights());
  if (!report.complete()) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint ", path, " does not match this model: ", report.ToString()));
  }
  if (absl::Status s = optimizer_.LoadStateDict(checkpoint.optimizer); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("checkpoint ", path, ": ", s.message()));
  }
  if (absl::Status s = RestoreRngState(checkpoint.rng, options_.rank); !s.ok()) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path, ": ", s.message()));
  }
  if (checkpoint.position.epoch_batch > task_->batches_per_epoch()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint ", path, " stopped at batch ", checkpoint.position.epoch_batch, " of an epoch, but this run has ",
        task_->batches_per_epoch(), " batches per epoch (different data or data.batch_size?)"));
  }
  position_ = checkpoint.position;
  if (scaler_.enabled() && checkpoint.loss_scale > 0) scaler_.set_scale(checkpoint.loss_scale);
  nonfinite_streak_ = checkpoint.nonfinite_streak;
  resumed_from_ = path;
  LOG(INFO) << "resumed from " << path << " at epoch " << position_.epoch + 1 << ", batch " << position_.epoch_batch
            << ", iteration " << position_.iteration;
  return absl::OkStatus();
}

Checkpoint Trainer::MakeCheckpoint() const {
  Checkpoint checkpoint;
  checkpoint.position = position_;
  checkpoint.model = model::CollectStateDict(task_->model(), task_->tied_weights());
  checkpoint.optimizer = optimizer_.StateDict();
  checkpoint.rng = CaptureRngState(rank_rng_states_);
  checkpoint.loss_scale = scaler_.scale();
  checkpoint.nonfinite_streak = nonfinite_streak_;
  checkpoint.config_text = proto::ConfigToText(config_);
  return checkpoint;
}

template <typename F>
absl::Status Trainer::ForEachHook(F&& f) {
  for (auto& hook : hooks_) SOHO_RETURN_IF_ERROR(f(*hook));
  return absl::OkStatus();
}

absl::Status Trainer::Run() {
  if (position_.iteration >= total_iters()) {
    LOG(INFO) << "nothing to train: " << resumed_from_ << " already finished all " << total_iters() << " iterations";
    return absl::OkStatus();
  }
  InstallStopSignalHandlers();
  GradientSync* sync = options_.gradient_sync.get();
  if (sync != nullptr) SOHO_RETURN_IF_ERROR(sync->BroadcastFromRank0());
  SOHO_RETURN_IF_ERROR(ForEachHook([&](TrainHook& h) { return h.BeforeRun(*this); }));
  task_->model().train();
  const int64_t batches_per_epoch = task_->batches_per_epoch();
  while (position_.iteration < total_iters()) {
    if (position_.epoch_batch >= batches_per_epoch) {  // resumed exactly at an epoch's end
      ++position_.epoch;
      position_.epoch_batch = 0;
    }
    const int64_t epoch = position_.epoch;
    SOHO_RETURN_IF_ERROR(task_->StartEpoch(epoch, position_.epoch_batch));
    while (position_.iteration < total_iters()) {
      const auto wait_start = std::chrono::steady_clock::now();
      SOHO_ASSIGN_OR_RETURN(bool has_batch, task_->NextBatch());
      if (!has_batch) break;
      SOHO_ASSIGN_OR_RETURN(IterationStats stats, TrainIteration(Seconds(wait_start)));
      SOHO_RETURN_IF_ERROR(ForEachHook([&](TrainHook& h) { return h.AfterIteration(*this, stats); }));
      if (!stats.stepped) continue;
      SOHO_RETURN_IF_ERROR(ForEachHook([&](TrainHook& h) { return h.AfterStep(*this); }));
      int signal = StopSignal();
      if (sync != nullptr) {
        // Every rank stops at the same step, or the others would wait for it in vain.
        SOHO_ASSIGN_OR_RETURN(const bool any_stopped, sync->AnyRank(signal != 0));
        if (any_stopped && signal == 0) signal = SIGTERM;
      }
      if (signal != 0) {
        SOHO_RETURN_IF_ERROR(ForEachHook([&](TrainHook& h) { return h.AfterRun(*this, /*interrupted=*/true); }));
        return absl::CancelledError(absl::StrCat(signal == SIGINT ? "SIGINT" : "SIGTERM", " at iteration ",
                                                 position_.iteration, ": checkpoint written to ",
                                                 config_.runtime().work_dir(),
                                                 "/latest.pt; continue with --resume=auto"));
      }
    }
    if (position_.epoch == epoch && position_.iteration < total_iters() &&
        position_.epoch_batch < batches_per_epoch) {
      return absl::InternalError(absl::StrCat("epoch ", epoch + 1, " ended after ", position_.epoch_batch, " of ",
                                              batches_per_epoch, " batches"));
    }
    if (position_.epoch_batch >= batches_per_epoch) {
      ++position_.epoch;
      position_.epoch_batch = 0;
      SOHO_RETURN_IF_ERROR(ForEachHook([&](TrainHook& h) { return h.AfterEpoch(*this, epoch); }));
    }
  }
  return ForEachHook([&](TrainHook& h) { return h.AfterRun(*this, /*interrupted=*/false); });
}

absl::StatusOr<IterationStats> Trainer::TrainIteration(double data_seconds) {
  const auto start = std::chrono::steady_clock::now();
  IterationStats stats;
  stats.epoch = position_.epoch;
  stats.epoch_batch = position_.epoch_batch;
  stats.lr = schedule_.LearningRate(position_.iteration);
  stats.images = task_->batch_images();
  stats.data_seconds = data_seconds;

  // This batch's accumulation group: update_interval batches, fewer at an epoch's end.
  const int64_t interval = config_.optimizer().update_interval();
  const int64_t group_start = position_.epoch_batch / interval * interval;
  const int64_t group_size = std::min(interval, task_->batches_per_epoch() - group_start);
  const bool last_in_group =
      position_.epoch_batch + 1 == group_start + group_size || position_.iteration + 1 == total_iters();

  task_->SetIteration(position_.iteration);
  model::NamedTensors losses;
  {
    AutocastScope autocast(config_.runtime().precision(), device_);
    losses = task_->ForwardLosses();
  }
  const at::Tensor loss = losses.at("loss").to(at::kFloat);
  {
    // One device-to-host copy for all the scalars, not one synchronization per loss.
    std::vector<at::Tensor> scalars;
    for (const auto& [name, value] : losses) scalars.push_back(value.detach().to(at::kDouble).reshape({}));
    const at::Tensor host = at::stack(scalars).cpu();
    const double* values = host.data_ptr<double>();
    size_t i = 0;
    for (const auto& [name, value] : losses) stats.losses[name] = values[i++];
  }
  const double loss_value = stats.losses.at("loss");
  GradientSync* sync = options_.gradient_sync.get();
  const at::Tensor scaled_loss = loss * (scaler_.scale() / static_cast<double>(group_size));
  if (sync != nullptr) {
    // Always backward when distributed, even on a non-finite loss: the other ranks wait for
    // this rank's gradients, and the NaN they carry makes every rank skip the same step.
    SOHO_RETURN_IF_ERROR(sync->Backward(scaled_loss, /*average=*/last_in_group));
  } else if (std::isfinite(loss_value)) {
    scaled_loss.backward();
  }
  if (!std::isfinite(loss_value)) {
    LOG(WARNING) << "non-finite loss " << loss_value << " at iteration " << position_.iteration + 1
                 << " (epoch " << position_.epoch + 1 << ", batch " << position_.epoch_batch + 1
                 << "): its optimizer step is skipped";
    group_has_nonfinite_loss_ = true;
  }

  if (last_in_group) {
    SOHO_ASSIGN_OR_RETURN(stats.grad_norm, OptimizerStep(stats.lr));
    stats.stepped = true;
    if (sync != nullptr) {
      SOHO_RETURN_IF_ERROR(sync->SyncBuffers());
      // Checkpoints are taken only here, and only by rank 0: it needs the others' streams.
      SOHO_ASSIGN_OR_RETURN(rank_rng_states_, sync->AllGather(CpuRngState()));
    }
  }
  ++position_.epoch_batch;
  ++position_.iteration;
  stats.iteration = position_.iteration;
  stats.step_seconds = Seconds(start);
  return stats;
}

absl::StatusOr<double> Trainer::OptimizerStep(double lr) {
  double norm = std::numeric_limits<double>::quiet_NaN();
  bool skip = group_has_nonfinite_loss_;
  if (!skip) {
    const std::vector<at::Tensor> grads = optimizer_.Gradients();
    if (scaler_.enabled()) {
      for (at::Tensor g : grads) g.mul_(1.0 / scaler_.scale());
    }
    norm = ClipGradNorm(grads, config_.optimizer().grad_clip_norm());
    if (!std::isfinite(norm)) {
      if (scaler_.enabled()) {
        // FP16 overflow: expected now and then; the scale adapts and nothing else happens.
        scaler_.Update(/*found_inf=*/true);
        LOG(INFO) << "fp16 gradient overflow at iteration " << position_.iteration + 1 << ": step skipped, loss scale "
                  << scaler_.scale();
        optimizer_.ZeroGrad();
        return norm;
      }
      LOG(WARNING) << "non-finite gradient norm at iteration " << position_.iteration + 1
                   << ": optimizer step skipped";
      skip = true;
    }
  }
  if (skip) {
    ++nonfinite_streak_;
  } else {
    optimizer_.Step(lr);
    scaler_.Update(/*found_inf=*/false);
    nonfinite_streak_ = 0;
  }
  optimizer_.ZeroGrad();
  group_has_nonfinite_loss_ = false;
  const int limit = config_.runtime().max_nonfinite_steps();
  if (nonfinite_streak_ >= limit) {
    return absl::AbortedError(absl::StrCat(
        nonfinite_streak_, " optimizer steps in a row had a non-finite loss or gradient (the last at iteration ",
        position_.iteration + 1, "; runtime.max_nonfinite_steps is ", limit,
        "): the run diverged. Lower optimizer.lr, raise schedule.warmup_iters or set optimizer.grad_clip_norm, "
        "and resume from an earlier checkpoint"));
  }
  return norm;
}

}  // namespace soho::train
