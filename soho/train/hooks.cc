#include "soho/train/hooks.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "soho/common/file_util.h"
#include "soho/common/logging.h"
#include "soho/common/progress.h"
#include "soho/common/status_macros.h"
#include "soho/proto/config_loader.h"
#include "soho/train/metrics_log.h"

namespace soho::train {
namespace {

// Resident memory of this process in GiB (Linux /proc/self/statm).
double ResidentGiB() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 30);
}

std::string FormatScalars(const Scalars& values) {
  std::string text;
  for (const auto& [name, value] : values) absl::StrAppend(&text, " ", name, " ", absl::StrFormat("%.4g", value));
  return text;
}

// Shared by the logger and the evaluator: rank 0's metrics.jsonl + TensorBoard.
class MetricsSink {
 public:
  absl::Status Open(const std::string& work_dir) {
    if (log_ == nullptr) {
      SOHO_ASSIGN_OR_RETURN(log_, MetricsLog::Create(work_dir));
    }
    return absl::OkStatus();
  }
  absl::Status Write(const std::string& mode, int64_t epoch, int64_t iteration, const Scalars& values) {
    return log_ == nullptr ? absl::OkStatus() : log_->Write(mode, epoch, iteration, values);
  }

 private:
  std::unique_ptr<MetricsLog> log_;
};

class LoggerHook : public TrainHook {
 public:
  explicit LoggerHook(std::shared_ptr<MetricsSink> sink) : sink_(std::move(sink)) {}

  absl::Status BeforeRun(Trainer& trainer) override {
    const auto& runtime = trainer.config().runtime();
    SOHO_RETURN_IF_ERROR(sink_->Open(runtime.work_dir()));
    SOHO_RETURN_IF_ERROR(WriteFileAtomically((std::filesystem::path(runtime.work_dir()) / "config.pbtxt").string(),
                                             proto::ConfigToText(trainer.config())));
    progress_bar_ = ::isatty(STDERR_FILENO) != 0;
    first_iteration_ = trainer.position().iteration;
    run_start_ = Clock::now();
    LOG(INFO) << "training " << trainer.total_iters() << " iterations (" << trainer.config().schedule().epochs()
              << " epochs x " << trainer.task().batches_per_epoch() << " batches"
              << (trainer.config().schedule().max_iters() > 0 ? ", capped by schedule.max_iters" : "") << ") in "
              << runtime.work_dir()
              << (trainer.resumed_from().empty() ? "" : absl::StrCat(", from iteration ", first_iteration_));
    return absl::OkStatus();
  }

  absl::Status AfterIteration(Trainer& trainer, const IterationStats& stats) override {
    for (const auto& [name, value] : stats.losses) sums_[name] += value;
    if (stats.stepped) {
      grad_norm_sum_ += stats.grad_norm;
      ++steps_;
    }
    data_seconds_ += stats.data_seconds;
    step_seconds_ += stats.step_seconds;
    images_ += stats.images;
    ++count_;
    const int64_t total = trainer.total_iters();
    const bool due = stats.iteration % trainer.config().runtime().log_interval() == 0 || stats.iteration == total;
    if (progress_bar_) DrawProgressBar(stats, total, due);
    if (!due) return absl::OkStatus();

    Scalars values;
    for (const auto& [name, sum] : sums_) values[name] = sum / count_;
    values["lr"] = stats.lr;
    if (steps_ > 0) values["grad_norm"] = grad_norm_sum_ / steps_;
    values["data_time"] = data_seconds_ / count_;
    values["step_time"] = step_seconds_ / count_;
    values["images_per_second"] = images_ / std::max(data_seconds_ + step_seconds_, 1e-9);
    values["memory_gib"] = ResidentGiB();
    LOG(INFO) << absl::StrFormat("epoch %d/%d iter %d/%d", stats.epoch + 1, trainer.config().schedule().epochs(),
                                 stats.iteration, total)
              << FormatScalars(values) << " ETA " << FormatDuration(EtaSeconds(stats.iteration, total));
    SOHO_RETURN_IF_ERROR(sink_->Write("train", stats.epoch + 1, stats.iteration, values));
    sums_.clear();
    grad_norm_sum_ = data_seconds_ = step_seconds_ = 0;
    steps_ = images_ = count_ = 0;
    return absl::OkStatus();
  }

  absl::Status AfterRun(Trainer& trainer, bool interrupted) override {
    if (progress_bar_) std::fprintf(stderr, "\r\033[K");
    LOG(INFO) << (interrupted ? "training interrupted" : "training finished") << " at iteration "
              << trainer.position().iteration << " after "
              << FormatDuration(std::chrono::duration<double>(Clock::now() - run_start_).count());
    return absl::OkStatus();
  }

 private:
  using Clock = std::chrono::steady_clock;

  double EtaSeconds(int64_t iteration, int64_t total) const {
    const double elapsed = std::chrono::duration<double>(Clock::now() - run_start_).count();
    const int64_t done = iteration - first_iteration_;
    return done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total - iteration) : 0.0;
  }

  void DrawProgressBar(const IterationStats& stats, int64_t total, bool clear_for_log) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * stats.iteration / std::max<int64_t>(total, 1));
    std::fprintf(stderr, "\r\033[K[%s%s] %lld/%lld loss %.4g ETA %s", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), static_cast<long long>(stats.iteration),
                 static_cast<long long>(total), stats.losses.at("loss"),
                 FormatDuration(EtaSeconds(stats.iteration, total)).c_str());
    if (clear_for_log) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

  std::shared_ptr<MetricsSink> sink_;
  bool progress_bar_ = false;
  int64_t first_iteration_ = 0;
  Clock::time_point run_start_;
  Scalars sums_;
  double grad_norm_sum_ = 0, data_seconds_ = 0, step_seconds_ = 0;
  int64_t steps_ = 0, images_ = 0, count_ = 0;
};

class CheckpointHook : public TrainHook {
 public:
  explicit CheckpointHook(const proto::RuntimeConfig& runtime)
      : dir_(runtime.work_dir(), runtime.keep_checkpoints()),
        every_epochs_(runtime.checkpoint_interval_epochs()),
        every_iters_(runtime.checkpoint_interval_iters()) {}

  absl::Status BeforeRun(Trainer& trainer) override {
    last_saved_ = trainer.position().iteration;
    return absl::OkStatus();
  }

  absl::Status AfterStep(Trainer& trainer) override {
    const int64_t iteration = trainer.position().iteration;
    if (every_iters_ > 0 && iteration / every_iters_ > last_saved_ / every_iters_) {
      return Save(trainer, absl::StrCat("iter_", iteration, ".pt"));
    }
    return absl::OkStatus();
  }

  absl::Status AfterEpoch(Trainer& trainer, int64_t epoch) override {
    if (every_epochs_ > 0 && (epoch + 1) % every_epochs_ == 0) {
      return Save(trainer, absl::StrCat("epoch_", epoch + 1, ".pt"));
    }
    return absl::OkStatus();
  }

  absl::Status AfterRun(Trainer& trainer, bool /*interrupted*/) override {
    const TrainingPosition& p = trainer.position();
    if (p.iteration == last_saved_ && !dir_.Latest().empty()) return absl::OkStatus();
    // At an epoch boundary the final checkpoint is that epoch's; else it names the iteration.
    return Save(trainer, p.epoch_batch == 0 ? absl::StrCat("epoch_", p.epoch, ".pt")
                                            : absl::StrCat("iter_", p.iteration, ".pt"));
  }

 private:
  absl::Status Save(Trainer& trainer, const std::string& name) {
    SOHO_ASSIGN_OR_RETURN(std::string path, dir_.Save(trainer.MakeCheckpoint(), name));
    last_saved_ = trainer.position().iteration;
    LOG(INFO) << "checkpoint " << path;
    return absl::OkStatus();
  }

  CheckpointDir dir_;
  int every_epochs_;
  int every_iters_;
  int64_t last_saved_ = 0;
};

class EvalHook : public TrainHook {
 public:
  EvalHook(std::shared_ptr<MetricsSink> sink, int every_epochs) : sink_(std::move(sink)), every_(every_epochs) {}

  absl::Status AfterEpoch(Trainer& trainer, int64_t epoch) override {
    const bool last = trainer.position().iteration >= trainer.total_iters();
    if ((epoch + 1) % every_ != 0 && !last) return absl::OkStatus();
    evaluated_at_ = trainer.position().iteration;
    return Evaluate(trainer, epoch + 1);
  }

  absl::Status AfterRun(Trainer& trainer, bool interrupted) override {
    // A run cut short by schedule.max_iters still reports where it ended.
    if (interrupted || evaluated_at_ == trainer.position().iteration) return absl::OkStatus();
    return Evaluate(trainer, trainer.position().epoch + 1);
  }

 private:
  absl::Status Evaluate(Trainer& trainer, int64_t epoch) {
    SOHO_ASSIGN_OR_RETURN(Scalars metrics, trainer.task().Evaluate());
    trainer.task().model().train();
    if (metrics.empty()) return absl::OkStatus();
    if (trainer.is_main_process()) LOG(INFO) << "val epoch " << epoch << FormatScalars(metrics);
    return sink_->Write("val", epoch, trainer.position().iteration, metrics);
  }

  std::shared_ptr<MetricsSink> sink_;
  int every_;
  int64_t evaluated_at_ = -1;
};

}  // namespace

std::vector<std::unique_ptr<TrainHook>> DefaultHooks(Trainer& trainer) {
  const proto::RuntimeConfig& runtime = trainer.config().runtime();
  // Ranks other than 0 get a sink that writes nothing.
  auto sink = std::make_shared<MetricsSink>();
  std::vector<std::unique_ptr<TrainHook>> hooks;
  if (runtime.eval_interval_epochs() > 0 && trainer.config().data().val_size() > 0) {
    hooks.push_back(std::make_unique<EvalHook>(sink, runtime.eval_interval_epochs()));
  }
  if (trainer.is_main_process()) {
    hooks.push_back(std::make_unique<CheckpointHook>(runtime));
    hooks.push_back(std::make_unique<LoggerHook>(sink));
  }
  return hooks;
}

}  // namespace soho::train
