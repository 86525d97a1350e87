// speedtest: SOHO vs a region-based (Faster R-CNN features) VQA pipeline, side by side.
//
// Both pipelines get the same inputs on the same device with the same thread count, in one
// process, and their runs are interleaved (SOHO, region, SOHO, region, ...) so that load
// from elsewhere on the machine affects both alike. Reports per-image latency at batch 1,
// throughput at --batch, and where the time goes (visual embedding vs transformer).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "benchmarks/blas_info.h"
#include "benchmarks/pipelines.h"
#include "benchmarks/speedtest_stats.h"
#include "soho/common/stage_clock.h"
#include "gflags/gflags.h"
#include "nlohmann/json.hpp"
#include "soho/common/device.h"
#include "soho/common/file_util.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/train/precision.h"
#include "soho/cli/cli.h"

DEFINE_int32(depth, 101, "ResNet depth of both pipelines (the paper's setting: 101).");
DEFINE_string(extra_soho_depths, "18",
              "Comma-separated extra SOHO backbones to report beside --depth (18: the released model); "
              "empty for none.");
DEFINE_int32(layers, 12, "Transformer layers of both pipelines (the paper's setting: 12).");
DEFINE_int32(image_height, 600, "Image height in pixels (the test scale (1000, 600): 600).");
DEFINE_int32(image_width, 1000, "Image width in pixels (1000).");
DEFINE_int32(batch, 2, "Batch size of the throughput measurement (latency is always measured at batch 1).");
DEFINE_string(device, "cpu", "cpu, cuda or cuda:N.");
DEFINE_string(precision, "fp32",
              "fp32 or bf16: both pipelines under autocast to bfloat16 (CPU and CUDA) with bf16.");
DEFINE_int32(threads, 0, "Intra-op CPU threads for both pipelines; 0: one per hardware thread.");
DEFINE_int32(warmup, 1, "Untimed runs of each pipeline before measuring, per batch size.");
DEFINE_int32(iterations, 2, "Timed runs of each pipeline per batch size.");
DEFINE_int32(num_boxes, 36, "Regions per image of the region-based pipeline; 0: adaptive 10..100.");
DEFINE_int32(proposals, 300, "RPN proposals per image kept after NMS (each runs the res5 RoI head).");
DEFINE_int32(text_length, 16, "Question tokens per image.");
DEFINE_string(output, "", "Write the JSON report here.");
DEFINE_double(min_ratio, 10.0, "Exit non-zero when SOHO's speed-up is below this at the paper's setting.");

namespace soho::bench {
namespace {

using Json = nlohmann::ordered_json;

struct Row {
  std::string name;
  std::unique_ptr<Pipeline> pipeline;
  // Visual tokens (grid cells or regions) per image the transformer attended to.
  double visual_tokens = 0;
  // Per batch size: total seconds per run, and seconds per stage per run.
  std::map<int, std::vector<double>> totals;
  std::map<int, std::vector<std::pair<std::string, std::vector<double>>>> stages;
};

absl::StatusOr<std::vector<int>> ParseDepths(const std::string& text) {
  std::vector<int> depths;
  for (const absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int depth = 0;
    if (!absl::SimpleAtoi(part, &depth) || (depth != 18 && depth != 34 && depth != 50 && depth != 101)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--extra_soho_depths: '", part, "' is not a ResNet depth (18, 34, 50, 101)"));
    }
    depths.push_back(depth);
  }
  return depths;
}

// Largest image side: 4096 x 4096 already needs about 20 GB of ResNet-101 activations at
// batch 2; beyond that a typo (20000) would end in an allocation failure, not a measurement.
constexpr int kMaxImageSide = 4096;

// Each flag on its own, naming it, before anything is built.
absl::Status ValidateFlags() {
  if (FLAGS_depth != 18 && FLAGS_depth != 34 && FLAGS_depth != 50 && FLAGS_depth != 101) {
    return absl::InvalidArgumentError(absl::StrCat("--depth must be 18, 34, 50 or 101, got ", FLAGS_depth));
  }
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("layers", FLAGS_layers, 1, 48));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("image_height", FLAGS_image_height, 64, kMaxImageSide));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("image_width", FLAGS_image_width, 64, kMaxImageSide));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("batch", FLAGS_batch, 1, 256));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("threads", FLAGS_threads, 0, 1024));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("warmup", FLAGS_warmup, 0, 1000));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("iterations", FLAGS_iterations, 1, 100000));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("proposals", FLAGS_proposals, 1, RegionSettings().pre_nms_topk));
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("num_boxes", FLAGS_num_boxes, 0, FLAGS_proposals));
  // Position embeddings exist for this many text tokens.
  const int max_text = SpeedtestModelConfig(FLAGS_depth, FLAGS_layers).transformer().max_position_embeddings();
  SOHO_RETURN_IF_ERROR(cli::CheckFlagRange("text_length", FLAGS_text_length, 2, max_text));
  return ParseDevice(FLAGS_device, "--device").status();
}

// Where the numbers were measured.
struct Environment {
  std::string device;
  int intra_op_threads = 0;
  int inter_op_threads = 0;
  unsigned hardware_threads = 0;
  std::string blas;
  std::string openblas_coretype;
  std::string torch_config;
};

Environment DescribeEnvironment(const at::Device& device) {
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  return {device.str(),  at::get_num_threads(), at::get_num_interop_threads(), std::thread::hardware_concurrency(),
          BlasDescription(), coretype != nullptr ? coretype : "", at::show_config()};
}

Json ToJson(const Environment& env) {
  return {{"device", env.device},
          {"intra_op_threads", env.intra_op_threads},
          {"inter_op_threads", env.inter_op_threads},
          {"hardware_threads", env.hardware_threads},
          {"blas", env.blas},
          {"OPENBLAS_CORETYPE", env.openblas_coretype},
          {"torch_config", env.torch_config}};
}

// A run whose numbers went bad (random weights overflowing) or that found nothing to attend
// to would time a different computation than the real model's; refuse to report it.
absl::Status CheckOutput(const Row& row, const PipelineOutput& output) {
  if (!output.logits.isfinite().all().item<bool>()) {
    return absl::InternalError(absl::StrCat(row.name, ": non-finite answer logits"));
  }
  if (output.visual_mask.sum(1).min().item<double>() < 1) {
    return absl::InternalError(absl::StrCat(row.name, ": an image got no visual tokens"));
  }
  return absl::OkStatus();
}

absl::Status Measure(std::vector<Row>& rows, int batch, const at::Device& device) {
  const int64_t vocab_size = SpeedtestModelConfig(FLAGS_depth, FLAGS_layers).transformer().vocab_size();
  const PipelineInputs inputs =
      MakeInputs(batch, FLAGS_image_height, FLAGS_image_width, FLAGS_text_length, vocab_size, device);
  StageClock clock(device);
  for (int run = 0; run < FLAGS_warmup + FLAGS_iterations; ++run) {
    const bool timed = run >= FLAGS_warmup;
    for (Row& row : rows) {
      clock.Start();
      const PipelineOutput output = row.pipeline->Run(inputs, &clock);
      LOG(INFO) << row.name << " batch " << batch << (timed ? " run " : " warm-up ") << run << ": "
                << absl::StrFormat("%.3f s", clock.total_seconds());
      // Checked after the last stage mark: not part of the timings.
      SOHO_RETURN_IF_ERROR(CheckOutput(row, output));
      row.visual_tokens = output.visual_mask.sum(1).to(at::kDouble).mean().item<double>();
      if (!timed) continue;
      row.totals[batch].push_back(clock.total_seconds());
      auto& stages = row.stages[batch];
      for (const auto& [name, seconds] : clock.stages()) {
        auto it = std::find_if(stages.begin(), stages.end(), [&](const auto& s) { return s.first == name; });
        if (it == stages.end()) it = stages.insert(stages.end(), {name, {}});
        it->second.push_back(seconds);
      }
    }
  }
  return absl::OkStatus();
}

// One pipeline at one batch size, summarized over the timed runs.
struct Measurement {
  int batch = 0;
  double visual_tokens = 0;  // per image
  Summary seconds_per_image;
  // Medians per image of the visual-embedding stages and of the transformer stage.
  double visual_seconds_per_image = 0;
  double transformer_seconds_per_image = 0;
  // Median seconds per run of each stage, in the order first marked.
  std::vector<std::pair<std::string, double>> stage_medians;

  double images_per_second() const { return 1.0 / seconds_per_image.median; }
};

Measurement SummarizeRuns(const Row& row, int batch) {
  Measurement m;
  m.batch = batch;
  m.visual_tokens = row.visual_tokens;
  std::vector<double> per_image;
  for (const double total : row.totals.at(batch)) per_image.push_back(total / batch);
  m.seconds_per_image = Summarize(per_image);
  std::vector<double> visual(per_image.size(), 0.0);
  std::vector<double> transformer(per_image.size(), 0.0);
  for (const auto& [name, samples] : row.stages.at(batch)) {
    auto& target = name == kTransformerStage ? transformer : visual;
    for (size_t i = 0; i < samples.size(); ++i) target[i] += samples[i];
    m.stage_medians.emplace_back(name, Summarize(samples).median);
  }
  m.visual_seconds_per_image = Summarize(visual).median / batch;
  m.transformer_seconds_per_image = Summarize(transformer).median / batch;
  return m;
}

Json ToJson(const Measurement& m) {
  const Summary& s = m.seconds_per_image;
  Json stages = Json::object();
  for (const auto& [name, seconds] : m.stage_medians) stages[name] = seconds;
  return {{"batch", m.batch},
          {"runs", s.count},
          {"visual_tokens_per_image", m.visual_tokens},
          {"seconds_per_image",
           {{"median", s.median}, {"p10", s.p10}, {"p90", s.p90}, {"min", s.min}, {"max", s.max}, {"mean", s.mean}}},
          {"images_per_second", m.images_per_second()},
          {"visual_embedding_seconds_per_image", m.visual_seconds_per_image},
          {"transformer_seconds_per_image", m.transformer_seconds_per_image},
          {"stage_median_seconds", stages}};
}

// Every pipeline's measurements, one per batch size, in the order of `batches`.
struct Results {
  std::vector<int> batches;
  std::vector<std::string> names;
  std::vector<std::vector<Measurement>> measurements;  // [pipeline][batch index]
  // Per-image latency of the region pipeline (row 1) over SOHO's (row 0), per batch size.
  std::vector<double> speedups;
};

Results Collect(const std::vector<Row>& rows, const std::vector<int>& batches) {
  Results results;
  results.batches = batches;
  for (const Row& row : rows) {
    results.names.push_back(row.name);
    std::vector<Measurement>& per_batch = results.measurements.emplace_back();
    for (const int batch : batches) per_batch.push_back(SummarizeRuns(row, batch));
  }
  for (size_t b = 0; b < batches.size(); ++b) {
    results.speedups.push_back(results.measurements[1][b].seconds_per_image.median /
                               results.measurements[0][b].seconds_per_image.median);
  }
  return results;
}

void PrintTable(const Results& results) {
  std::cout << "\n"
            << absl::StrFormat("%-26s %5s %7s %28s %10s %10s %13s\n", "pipeline", "batch", "tokens",
                               "s/image median [p10, p90]", "images/s", "visual s", "transformer s");
  // tokens: visual tokens per image; visual s / transformer s: median seconds per image.
  for (size_t b = 0; b < results.batches.size(); ++b) {
    for (size_t r = 0; r < results.names.size(); ++r) {
      const Measurement& m = results.measurements[r][b];
      const Summary& s = m.seconds_per_image;
      std::cout << absl::StrFormat("%-26s %5d %7.0f %10.3f [%6.3f, %6.3f] %10.2f %10.3f %13.3f\n",
                                   results.names[r], m.batch, m.visual_tokens, s.median, s.p10, s.p90,
                                   m.images_per_second(), m.visual_seconds_per_image,
                                   m.transformer_seconds_per_image);
    }
  }
  std::cout << "\nStage medians at batch 1 (seconds per run):\n";
  for (size_t r = 0; r < results.names.size(); ++r) {
    std::cout << "  " << results.names[r] << ":";
    for (const auto& [name, seconds] : results.measurements[r][0].stage_medians) {
      std::cout << absl::StrFormat(" %s %.3f", name, seconds);
    }
    std::cout << "\n";
  }
  std::cout << "\nspeed-up (region / " << results.names[0] << ", per-image latency):";
  for (size_t b = 0; b < results.batches.size(); ++b) {
    std::cout << absl::StrFormat(" batch_%d %.2fx", results.batches[b], results.speedups[b]);
  }
  std::cout << "\n";
}

// The JSON report: the flags, the environment, every measurement, the speed-ups and the verdict.
Json Report(const Environment& environment, const Results& results, const ClaimCheck& check) {
  Json report;
  report["settings"] = {{"depth", FLAGS_depth},           {"layers", FLAGS_layers},
                        {"image_height", FLAGS_image_height}, {"image_width", FLAGS_image_width},
                        {"batch", FLAGS_batch},           {"warmup", FLAGS_warmup},
                        {"precision", FLAGS_precision},   {"iterations", FLAGS_iterations},
                        {"num_boxes", FLAGS_num_boxes},   {"proposals", FLAGS_proposals},
                        {"text_length", FLAGS_text_length}};
  report["environment"] = ToJson(environment);
  Json pipelines = Json::array();
  for (size_t r = 0; r < results.names.size(); ++r) {
    Json entry;
    entry["pipeline"] = results.names[r];
    for (const Measurement& m : results.measurements[r]) entry["measurements"].push_back(ToJson(m));
    pipelines.push_back(entry);
  }
  report["results"] = pipelines;
  Json speedups = Json::object();
  for (size_t b = 0; b < results.batches.size(); ++b) {
    speedups[absl::StrCat("batch_", results.batches[b])] = results.speedups[b];
  }
  report["speedup"] = speedups;
  report["claim"] = {{"ratio", check.ratio},   {"min_ratio", check.min_ratio}, {"applies", check.applies},
                     {"passed", check.passed}, {"verdict", check.verdict}};
  return report;
}

// SOHO at --depth, the region pipeline, then SOHO at each extra depth.
std::vector<Row> MakeRows(const std::vector<int>& extra_depths, const at::Device& device) {
  const std::string layers = absl::StrCat(FLAGS_layers, "L");
  std::vector<Row> rows;
  auto soho_row = [&](int depth) {
    return Row{absl::StrCat("SOHO R", depth, " ", layers),
               MakeSohoPipeline(model::SohoVqaModel(SpeedtestModelConfig(depth, FLAGS_layers)), device)};
  };
  rows.push_back(soho_row(FLAGS_depth));
  RegionSettings region;
  region.num_boxes = FLAGS_num_boxes;
  region.post_nms_topk = FLAGS_proposals;
  rows.push_back({absl::StrCat("region R", FLAGS_depth, " ", layers, " ",
                               FLAGS_num_boxes > 0 ? absl::StrCat(FLAGS_num_boxes) : "10-100", " boxes"),
                  MakeRegionPipeline(SpeedtestModelConfig(FLAGS_depth, FLAGS_layers), region, device)});
  for (const int depth : extra_depths) {
    if (depth != FLAGS_depth) rows.push_back(soho_row(depth));
  }
  return rows;
}

absl::StatusOr<int> Run() {
  SOHO_RETURN_IF_ERROR(ValidateFlags());
  SOHO_ASSIGN_OR_RETURN(const std::vector<int> extra_depths, ParseDepths(FLAGS_extra_soho_depths));
  SOHO_ASSIGN_OR_RETURN(const proto::RuntimeConfig::Precision precision, cli::ParsePrecision(FLAGS_precision));
  SOHO_ASSIGN_OR_RETURN(const at::Device device, ParseDevice(FLAGS_device, "--device"));
  // LibTorch may start with a single intra-op thread; set the count explicitly.
  at::set_num_threads(FLAGS_threads > 0 ? FLAGS_threads
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  // Random weights through deep stacks can produce denormals, which are very slow on CPUs
  // and would time the weights rather than the architecture.
  at::globalContext().setFlushDenormal(true);
  c10::InferenceMode inference;
  // Both pipelines, warm-up and timed runs alike, in this thread.
  const train::AutocastScope autocast(precision, device);
  at::manual_seed(0);

  const Environment environment = DescribeEnvironment(device);
  std::cout << "device: " << environment.device << "  precision: " << FLAGS_precision
            << "  intra-op threads: " << environment.intra_op_threads << "  BLAS: " << environment.blas
            << "  OPENBLAS_CORETYPE=" << environment.openblas_coretype << "\n";
  VLOG(1) << environment.torch_config;

  std::vector<Row> rows = MakeRows(extra_depths, device);
  std::vector<int> batches = {1};
  if (FLAGS_batch > 1) batches.push_back(FLAGS_batch);
  for (const int batch : batches) SOHO_RETURN_IF_ERROR(Measure(rows, batch, device));
  const Results results = Collect(rows, batches);
  PrintTable(results);

  const ClaimCheck check = CheckClaim(results.measurements[0][0].seconds_per_image.median,
                                      results.measurements[1][0].seconds_per_image.median, FLAGS_min_ratio,
                                      IsPaperSetting(FLAGS_depth, FLAGS_layers));
  std::cout << check.verdict << "\n";
  if (!FLAGS_output.empty()) {
    SOHO_RETURN_IF_ERROR(WriteFileAtomically(FLAGS_output, Report(environment, results, check).dump(2) + "\n"));
    std::cout << "report: " << FLAGS_output << "\n";
  }
  return ExitCodeFor(check);
}

}  // namespace
}  // namespace soho::bench

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv,
                  "Checks the '10x faster than region-based models' claim, side by side in one run.\n\n"
                  "  bazel run //benchmarks:speedtest -- --depth=101 --layers=12 --output=/tmp/speedtest.json\n\n"
                  "Exits 1 when, at the paper's setting (--depth=101 --layers=12), the region-based pipeline's\n"
                  "per-image latency is less than --min_ratio times SOHO's.");
  return soho::cli::RunMain([]() -> absl::StatusOr<int> {
    if (!soho::cli::DryRun()) return soho::bench::Run();
    SOHO_RETURN_IF_ERROR(soho::bench::ValidateFlags());
    std::cout << "depth: " << FLAGS_depth << "\nlayers: " << FLAGS_layers << "\nmin_ratio: " << FLAGS_min_ratio
              << "\n";
    return 0;
  });
}
