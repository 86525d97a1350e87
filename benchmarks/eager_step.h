#pragma once
// The pre-training step timed against eager PyTorch, shared by train_benchmark and
// model_benchmark: our step (zero gradients, losses, backward, clipping, AdamwSGD), the spec
// that builds the same model in benchmarks/eager_reference/soho_train_step.py, and parsing
// that script's JSON answers.
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/pretrain_workload.h"
#include "soho/common/stage_clock.h"
#include "nlohmann/json.hpp"
#include "soho/proto/config.pb.h"
#include "soho/train/adamw_sgd.h"

namespace soho::bench {

// Stage names of one step, shared with the eager script's report.
const std::vector<std::string>& StepStageNames();

// One step of either implementation: seconds in all and by stage, and its loss.
struct StepReport {
  double seconds = 0;
  std::map<std::string, double> stages;
  double loss = 0;
};

// /proc/cpuinfo's model name, or "unknown".
std::string CpuModel();

// What the eager script needs to build the same model, optimizer and batch, with `threads`
// intra-op threads. Options the transcription does not implement are refused rather than
// silently timed differently.
absl::StatusOr<nlohmann::json> EagerSpec(const proto::SohoConfig& config, const PretrainShape& shape,
                                         const train::AdamwSgd& optimizer, int threads);

// One line of the script's output as a JSON object.
absl::StatusOr<nlohmann::json> ParseEagerLine(const std::string& line);

// The script's ready line: the eager model must train the same parameters with the same
// optimizer kinds, or the two steps would not be the same computation. Returns the eager
// side's environment, in words.
absl::StatusOr<std::string> CheckEagerReady(const std::string& line, const train::AdamwSgd& optimizer);

// The script's answer to "step".
absl::StatusOr<StepReport> ParseEagerStep(const std::string& line);

// Our step, with the forward under `precision`'s autocast (backward outside it, as the
// trainer does), stages marked on `clock`.
StepReport OursStep(PretrainWorkload& work, train::AdamwSgd& optimizer, const proto::OptimizerConfig& config,
                    proto::RuntimeConfig::Precision precision, StageClock& clock);

}  // namespace soho::bench
