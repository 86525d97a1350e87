// train_benchmark: the full pre-training step of our C++ trainer against the same step in
// eager PyTorch, on the same machine in the same run.
//
// The step: zero gradients -> forward of the MLM + MVM + ITM losses -> backward -> global-norm
// gradient clipping -> AdamwSGD update (SGD with momentum for ^backbone\., AdamW for the
// rest), at the released res18 setting and at the tiny CPU setting. The eager side is
// benchmarks/eager_reference/soho_train_step.py under Debian's python3 (the same LibTorch
// 1.13 libraries), started as a child process that keeps its model in memory and runs one
// step per request, so that the two implementations' steps alternate (ours, eager, eager,
// ours, ...) and load from elsewhere on the machine hits both alike.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "benchmarks/blas_info.h"
#include "benchmarks/eager_step.h"
#include "benchmarks/line_process.h"
#include "benchmarks/pretrain_workload.h"
#include "benchmarks/speedtest_stats.h"
#include "soho/common/stage_clock.h"
#include "gflags/gflags.h"
#include "nlohmann/json.hpp"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/train/adamw_sgd.h"
#include "soho/cli/cli.h"

DEFINE_string(settings, "res18,tiny", "Comma-separated settings to run: res18 (the released model, "
              "2 images x 4 captions at 600x1000) and/or tiny (8 images x 2 captions at 160x224).");
DEFINE_int32(threads, 2, "Intra-op threads of both implementations (OpenBLAS keeps its own pool, the same on "
             "both sides; both print its size).");
DEFINE_int32(warmup, 1, "Untimed steps of each implementation per setting.");
DEFINE_int32(iterations, 3, "Timed steps of each implementation per setting, at least.");
DEFINE_double(min_seconds, 10, "More timed steps, until each implementation has spent this long in them "
              "(steps of the tiny setting take well under a second).");
DEFINE_string(python, "/usr/bin/python3", "The Python that runs the eager PyTorch step (Debian's, with python3-torch).");
DEFINE_string(eager_script, "benchmarks/eager_reference/soho_train_step.py", "The eager PyTorch step.");
DEFINE_double(target_ratio, 1.3, "The speed-up over eager PyTorch the issue asks for (only reported).");

namespace soho::bench {
namespace {

using Json = nlohmann::json;

struct Timings {
  std::vector<double> totals;                         // seconds per timed step
  std::map<std::string, std::vector<double>> stages;  // seconds per timed step, by stage
};

struct SettingResult {
  PretrainSetting setting;
  Timings ours, eager;
  // eager / ours of the two steps of each timed round: neighbours in time, so a ratio that
  // load changing during the run disturbs less than the ratio of the medians.
  std::vector<double> round_ratios;
};

absl::Status ValidateFlags() {
  if (FLAGS_threads < 1 || FLAGS_iterations < 1 || FLAGS_warmup < 0 || FLAGS_min_seconds < 0) {
    return absl::InvalidArgumentError("--threads and --iterations must be >= 1, --warmup and --min_seconds >= 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PretrainSetting>> ParseSettings(const std::string& text) {
  std::vector<PretrainSetting> settings;
  for (const absl::string_view name : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    if (name == Res18Setting().name) {
      settings.push_back(Res18Setting());
    } else if (name == TinySetting().name) {
      settings.push_back(TinySetting());
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--settings: unknown setting '", name, "' (res18, tiny)"));
    }
  }
  if (settings.empty()) return absl::InvalidArgumentError("--settings: no setting given (res18, tiny)");
  return settings;
}

absl::StatusOr<SettingResult> Measure(const PretrainSetting& setting) {
  SOHO_ASSIGN_OR_RETURN(const proto::SohoConfig config, LoadBenchmarkConfig(setting.config_path));
  PretrainWorkload work = MakePretrainWorkload(config.model(), setting.shape);
  SOHO_ASSIGN_OR_RETURN(train::AdamwSgd optimizer,
                        train::AdamwSgd::Create(work.model->named_parameters(), config.optimizer()));
  SOHO_ASSIGN_OR_RETURN(const Json spec, EagerSpec(config, setting.shape, optimizer, FLAGS_threads));
  SOHO_ASSIGN_OR_RETURN(std::unique_ptr<LineProcess> eager,
                        LineProcess::Start({FLAGS_python, FLAGS_eager_script, spec.dump()}));
  SOHO_ASSIGN_OR_RETURN(const std::string ready_line, eager->ReadLine());
  SOHO_ASSIGN_OR_RETURN(const std::string eager_environment, CheckEagerReady(ready_line, optimizer));
  std::cout << setting.name << ": eager side: " << eager_environment << std::endl;

  SettingResult result{setting, {}, {}, {}};
  StageClock clock(at::kCPU);
  auto done = [&result](int run) {
    const auto spent = [](const Timings& t) { return std::accumulate(t.totals.begin(), t.totals.end(), 0.0); };
    return run >= FLAGS_warmup + FLAGS_iterations && spent(result.ours) >= FLAGS_min_seconds &&
           spent(result.eager) >= FLAGS_min_seconds;
  };
  for (int run = 0; !done(run); ++run) {
    const bool timed = run >= FLAGS_warmup;
    // Alternate who goes first, so neither always follows the other's memory traffic.
    for (const bool ours_turn : {run % 2 == 0, run % 2 != 0}) {
      StepReport step;
      if (ours_turn) {
        step = OursStep(work, optimizer, config.optimizer(), proto::RuntimeConfig::FP32, clock);
      } else {
        SOHO_ASSIGN_OR_RETURN(const std::string line, eager->Request("step"));
        SOHO_ASSIGN_OR_RETURN(step, ParseEagerStep(line));
      }
      const char* who = ours_turn ? "ours" : "eager";
      LOG(INFO) << setting.name << " " << who << (timed ? " step " : " warm-up ") << run << ": "
                << absl::StrFormat("%.3f s, loss %.4f", step.seconds, step.loss);
      // A step whose loss went bad would time a different computation; refuse to report it.
      if (!std::isfinite(step.loss)) {
        return absl::InternalError(absl::StrCat(setting.name, " ", who, ": non-finite loss in step ", run));
      }
      if (!timed) continue;
      Timings& timings = ours_turn ? result.ours : result.eager;
      timings.totals.push_back(step.seconds);
      for (const std::string& name : StepStageNames()) timings.stages[name].push_back(step.stages.at(name));
    }
    if (timed) result.round_ratios.push_back(result.eager.totals.back() / result.ours.totals.back());
  }
  return result;
}

std::string Shape(const PretrainShape& s) {
  return absl::StrFormat("%dx%d %dx%d L%d", s.images, s.captions, s.height, s.width, s.length);
}

std::string Cell(const std::vector<double>& samples) {
  const Summary s = Summarize(samples);
  return absl::StrFormat("%.3f [%.3f, %.3f]", s.median, s.min, s.max);
}

// The speed-up of ours over eager PyTorch: the ratio of the median step times.
double Ratio(const SettingResult& r) { return Summarize(r.eager.totals).median / Summarize(r.ours.totals).median; }

void PrintResults(const std::vector<SettingResult>& results) {
  std::cout << "\n"
            << absl::StrFormat("%-7s %-16s %5s %30s %30s %10s %9s\n", "setting", "shape", "steps",
                               "ours s/step median [min, max]", "eager s/step median [min, max]", "eager/ours",
                               "per round");
  for (const SettingResult& r : results) {
    std::cout << absl::StrFormat("%-7s %-16s %5d %30s %30s %9.2fx %8.2fx\n", r.setting.name,
                                 Shape(r.setting.shape), r.ours.totals.size(), Cell(r.ours.totals),
                                 Cell(r.eager.totals), Ratio(r), Summarize(r.round_ratios).median);
  }
  std::cout << "(shape: images x captions per image, image height x width, tokens per caption; steps: timed\n"
               " steps of each implementation; eager/ours: ratio of the medians; per round: median of the\n"
               " ratios of each round's two steps)\n";
  std::cout << "\nStage medians (s/step):";
  for (const std::string& name : StepStageNames()) std::cout << absl::StrFormat(" %10s", name);
  std::cout << "\n";
  for (const SettingResult& r : results) {
    for (const auto& [who, timings] : {std::pair{"ours", &r.ours}, std::pair{"eager", &r.eager}}) {
      std::cout << absl::StrFormat("  %-7s %-5s        ", r.setting.name, who);
      for (const std::string& name : StepStageNames()) {
        std::cout << absl::StrFormat(" %10.3f", Summarize(timings->stages.at(name)).median);
      }
      std::cout << "\n";
    }
  }
  std::cout << absl::StrFormat("\nTarget: ours at least %.2fx faster than eager PyTorch (median step).\n",
                               FLAGS_target_ratio);
  for (const SettingResult& r : results) {
    std::cout << absl::StrFormat("  %-7s %.2fx: %s\n", r.setting.name, Ratio(r),
                                 Ratio(r) >= FLAGS_target_ratio ? "met" : "NOT met");
  }
}

absl::Status Run() {
  SOHO_RETURN_IF_ERROR(ValidateFlags());
  SOHO_ASSIGN_OR_RETURN(const std::vector<PretrainSetting> settings, ParseSettings(FLAGS_settings));
  if (std::ifstream script(FLAGS_eager_script); !script) {
    return absl::NotFoundError(absl::StrCat("--eager_script: cannot read ", FLAGS_eager_script,
                                            " (run from the repository root, or pass its path)"));
  }
  at::set_num_threads(FLAGS_threads);
  // Random weights can produce denormals, which are very slow on CPUs and would time the
  // weights rather than the model; the eager script flushes them too.
  at::globalContext().setFlushDenormal(true);
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::cout << "CPU: " << CpuModel() << " (" << std::thread::hardware_concurrency() << " hardware threads)"
            << "  threads: " << at::get_num_threads() << "  OPENBLAS_CORETYPE=" << (coretype ? coretype : "")
            << "\nours: LibTorch " << TORCH_VERSION << ", BLAS: " << BlasDescription() << "\n"
            << "steps: " << FLAGS_warmup << " warm-up, then at least " << FLAGS_iterations << " timed and "
            << FLAGS_min_seconds << " s timed per implementation and setting, interleaved" << std::endl;

  std::vector<SettingResult> results;
  for (const PretrainSetting& setting : settings) {
    SOHO_ASSIGN_OR_RETURN(SettingResult result, Measure(setting));
    results.push_back(std::move(result));
  }
  PrintResults(results);
  return absl::OkStatus();
}

}  // namespace
}  // namespace soho::bench

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv,
                  "Times the full pre-training step (losses, backward, clipping, AdamwSGD) of our C++ trainer\n"
                  "and of the same step in eager PyTorch, interleaved in one run, and reports the ratio.\n\n"
                  "  bazel build //benchmarks:train_benchmark\n"
                  "  bazel-bin/benchmarks/train_benchmark --threads=2    # from the repository root");
  return soho::cli::Report(soho::bench::Run());
}
