// model_benchmark: our model against an eager PyTorch model of the same layers, in one run,
// as ratios to eager fp32 (the CPU-speed issue's table):
//   VQA inference at batch 1 (fp32, bf16) and at --vqa_batch (fp32, bf16), and the
//   pre-training step (forward, backward, clipping, AdamwSGD; fp32, bf16).
//
// Ours is what a user runs: channels-last backbone (model.backbone.channels_last, the
// default), in-place activations, and for inference the BatchNorm-folded copy
// (SohoVqaModelImpl::FoldedForInference) under InferenceMode; bf16 is CPU autocast. The eager
// side is benchmarks/eager_reference/soho_train_step.py under Debian's python3 (the same
// LibTorch 1.13 libraries), in the reference's style: NCHW fp32, torch.no_grad() for
// inference. Each case's runs alternate with the eager runs it is compared to, so load from
// elsewhere on the machine hits both. Page faults per VQA forward (getrusage's minor faults)
// are reported for both sides, with the BLAS each side loaded.
#include <sys/resource.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmarks/blas_info.h"
#include "benchmarks/eager_step.h"
#include "benchmarks/line_process.h"
#include "benchmarks/pretrain_workload.h"
#include "benchmarks/speedtest_stats.h"
#include "soho/common/stage_clock.h"
#include "gflags/gflags.h"
#include "nlohmann/json.hpp"
#include "soho/common/logging.h"
#include "soho/common/process_settings.h"
#include "soho/common/status_macros.h"
#include "soho/model/soho_model.h"
#include "soho/train/adamw_sgd.h"
#include "soho/train/precision.h"
#include "soho/cli/cli.h"

DEFINE_string(setting, "res18", "res18 (the released model; 600x1000 images, pre-training 2 images x 4 captions) "
              "or tiny (configs/tiny, 160x224 images, 8 images x 2 captions).");
DEFINE_int32(threads, 2, "Intra-op threads of both implementations (and OpenBLAS's pool on our side).");
DEFINE_int32(vqa_batch, 8, "The larger VQA inference batch (one question per image).");
DEFINE_int32(warmup, 1, "Untimed rounds per case.");
DEFINE_int32(iterations, 3, "Timed rounds per case, at least.");
DEFINE_double(min_seconds, 5, "More timed rounds, until each side of a case has spent this long in them.");
DEFINE_string(python, "/usr/bin/python3", "The Python that runs the eager model (Debian's, with python3-torch).");
DEFINE_string(eager_script, "benchmarks/eager_reference/soho_train_step.py", "The eager PyTorch model.");

namespace soho::bench {
namespace {

using Json = nlohmann::json;
using Precision = proto::RuntimeConfig::Precision;

// One timed run of either side: seconds, and minor page faults for VQA forwards.
struct RunReport {
  double seconds = 0;
  double faults = 0;
};

struct Samples {
  std::vector<double> seconds, faults;
  void Add(const RunReport& r) {
    seconds.push_back(r.seconds);
    faults.push_back(r.faults);
  }
  double total() const { return std::accumulate(seconds.begin(), seconds.end(), 0.0); }
};

// A row of the table: ours in one precision against eager fp32 on the same work.
struct Row {
  std::string name;
  std::optional<double> target;  // the speed-up target over eager fp32
  Samples ours, eager;
  double ratio() const { return Summarize(eager.seconds).median / Summarize(ours.seconds).median; }
};

const char* PrecisionName(Precision p) { return p == proto::RuntimeConfig::BF16 ? "bf16" : "fp32"; }

absl::Status ValidateFlags() {
  if (FLAGS_threads < 1 || FLAGS_iterations < 1 || FLAGS_vqa_batch < 1 || FLAGS_warmup < 0 ||
      FLAGS_min_seconds < 0) {
    return absl::InvalidArgumentError(
        "--threads, --iterations and --vqa_batch must be >= 1, --warmup and --min_seconds >= 0");
  }
  if (FLAGS_setting != Res18Setting().name && FLAGS_setting != TinySetting().name) {
    return absl::InvalidArgumentError(absl::StrCat("--setting must be res18 or tiny, got '", FLAGS_setting, "'"));
  }
  if (std::ifstream script(FLAGS_eager_script); !script) {
    return absl::NotFoundError(absl::StrCat("--eager_script: cannot read ", FLAGS_eager_script,
                                            " (run from the repository root, or pass its path)"));
  }
  return absl::OkStatus();
}

double MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_minflt);
}

// The VQA model of the setting: its backbone and transformer, the VQA neck and head.
proto::ModelConfig VqaConfig(const proto::ModelConfig& pretrain) {
  proto::ModelConfig config = pretrain;
  config.mutable_neck()->set_kind(proto::NeckConfig::VQA);
  config.mutable_head()->set_kind(proto::HeadConfig::VQA);
  return config;
}

// `batch` images of the setting's size (the workload's recipe) with one question each.
std::pair<ImageBatch, model::TextBatch> VqaInputs(const PretrainShape& shape, int64_t batch, int64_t vocab) {
  const int64_t padded_h = (shape.height + 31) / 32 * 32, padded_w = (shape.width + 31) / 32 * 32;
  ImageBatch images{at::zeros({batch, 3, padded_h, padded_w}),
                           at::tensor({shape.height, shape.width}, at::kLong).repeat({batch, 1})};
  images.images.narrow(2, 0, shape.height).narrow(3, 0, shape.width).normal_();
  const at::Tensor ids = at::randint(1, vocab, {batch, shape.length}, at::kLong);
  return {images, {ids, at::ones_like(ids)}};
}

class Benchmark {
 public:
  static absl::StatusOr<std::unique_ptr<Benchmark>> Create(const PretrainSetting& setting) {
    SOHO_ASSIGN_OR_RETURN(const proto::SohoConfig config, LoadBenchmarkConfig(setting.config_path));
    auto b = std::unique_ptr<Benchmark>(new Benchmark(setting, config));
    SOHO_ASSIGN_OR_RETURN(train::AdamwSgd optimizer,
                          train::AdamwSgd::Create(b->work_.model->named_parameters(), config.optimizer()));
    b->optimizer_ = std::make_unique<train::AdamwSgd>(std::move(optimizer));
    SOHO_ASSIGN_OR_RETURN(Json spec, EagerSpec(config, setting.shape, *b->optimizer_, FLAGS_threads));
    const proto::HeadConfig& head = config.model().head();
    spec["vqa"] = {{"hidden_size", head.vqa_hidden_size()},
                   {"num_answers", head.num_answers()},
                   {"dropout", head.vqa_dropout()}};
    SOHO_ASSIGN_OR_RETURN(b->eager_, LineProcess::Start({FLAGS_python, FLAGS_eager_script, spec.dump()}));
    SOHO_ASSIGN_OR_RETURN(const std::string ready, b->eager_->ReadLine());
    SOHO_ASSIGN_OR_RETURN(b->eager_environment_, CheckEagerReady(ready, *b->optimizer_));
    return b;
  }

  const std::string& eager_environment() const { return eager_environment_; }

  RunReport OursVqa(int64_t batch, Precision precision) {
    const auto& [images, text] = Inputs(batch);
    c10::InferenceMode inference;
    const train::AutocastScope autocast(precision, c10::Device(c10::kCPU));
    const double faults = MinorFaults();
    StageClock clock(at::kCPU);
    clock.Start();
    const at::Tensor logits = folded_vqa_->forward(images, text);
    clock.Mark("forward");
    const RunReport report{clock.total_seconds(), MinorFaults() - faults};
    CHECK(logits.isfinite().all().item<bool>()) << "non-finite VQA logits";
    return report;
  }

  absl::StatusOr<RunReport> EagerVqa(int64_t batch) {
    SOHO_ASSIGN_OR_RETURN(const std::string line, eager_->Request(absl::StrCat("vqa ", batch)));
    SOHO_ASSIGN_OR_RETURN(const Json answer, ParseEagerLine(line));
    try {
      if (!std::isfinite(answer.at("logit").get<double>())) return absl::InternalError("eager: non-finite VQA logits");
      return RunReport{answer.at("seconds").get<double>(), answer.at("minor_faults").get<double>()};
    } catch (const Json::exception& e) {
      return absl::InternalError(absl::StrCat("the eager script's VQA answer is malformed (", e.what(), "): ", line));
    }
  }

  absl::StatusOr<RunReport> OursStep(Precision precision) {
    StageClock clock(at::kCPU);
    const StepReport step = bench::OursStep(work_, *optimizer_, config_.optimizer(), precision, clock);
    if (!std::isfinite(step.loss)) return absl::InternalError("ours: non-finite pre-training loss");
    return RunReport{step.seconds, 0};
  }

  absl::StatusOr<RunReport> EagerStep() {
    SOHO_ASSIGN_OR_RETURN(const std::string line, eager_->Request("step"));
    SOHO_ASSIGN_OR_RETURN(const StepReport step, ParseEagerStep(line));
    if (!std::isfinite(step.loss)) return absl::InternalError("eager: non-finite pre-training loss");
    return RunReport{step.seconds, 0};
  }

 private:
  Benchmark(const PretrainSetting& setting, const proto::SohoConfig& config)
      : setting_(setting), config_(config), work_(MakePretrainWorkload(config.model(), setting.shape)) {
    model::SohoVqaModel vqa(VqaConfig(config.model()));
    vqa->eval();
    folded_vqa_ = vqa->FoldedForInference();
  }

  const std::pair<ImageBatch, model::TextBatch>& Inputs(int64_t batch) {
    auto it = vqa_inputs_.find(batch);
    if (it == vqa_inputs_.end()) {
      it = vqa_inputs_.emplace(batch, VqaInputs(setting_.shape, batch, config_.model().transformer().vocab_size()))
               .first;
    }
    return it->second;
  }

  PretrainSetting setting_;
  proto::SohoConfig config_;
  PretrainWorkload work_;
  std::unique_ptr<train::AdamwSgd> optimizer_;
  model::SohoVqaModel folded_vqa_{nullptr};
  std::map<int64_t, std::pair<ImageBatch, model::TextBatch>> vqa_inputs_;
  std::unique_ptr<LineProcess> eager_;
  std::string eager_environment_;
};

// Rounds of one piece of work: eager fp32, then ours in each precision (alternating who goes
// first), until every side has --iterations timed rounds and --min_seconds in them.
absl::Status MeasureGroup(const std::string& what, const std::function<absl::StatusOr<RunReport>()>& eager,
                          const std::function<absl::StatusOr<RunReport>(Precision)>& ours,
                          std::vector<Row*> rows, const std::vector<Precision>& precisions) {
  Samples eager_samples;
  auto done = [&](int round) {
    if (round < FLAGS_warmup + FLAGS_iterations || eager_samples.total() < FLAGS_min_seconds) return false;
    for (const Row* row : rows) {
      if (row->ours.total() < FLAGS_min_seconds) return false;
    }
    return true;
  };
  for (int round = 0; !done(round); ++round) {
    const bool timed = round >= FLAGS_warmup;
    const auto run_eager = [&]() -> absl::Status {
      SOHO_ASSIGN_OR_RETURN(const RunReport r, eager());
      LOG(INFO) << what << " eager fp32" << (timed ? " round " : " warm-up ") << round << ": "
                << absl::StrFormat("%.3f s", r.seconds);
      if (timed) eager_samples.Add(r);
      return absl::OkStatus();
    };
    if (round % 2 == 0) SOHO_RETURN_IF_ERROR(run_eager());
    for (size_t i = 0; i < rows.size(); ++i) {
      SOHO_ASSIGN_OR_RETURN(const RunReport r, ours(precisions[i]));
      LOG(INFO) << what << " ours " << PrecisionName(precisions[i]) << (timed ? " round " : " warm-up ") << round
                << ": " << absl::StrFormat("%.3f s", r.seconds);
      if (timed) rows[i]->ours.Add(r);
    }
    if (round % 2 != 0) SOHO_RETURN_IF_ERROR(run_eager());
  }
  for (Row* row : rows) row->eager = eager_samples;
  return absl::OkStatus();
}

void PrintTable(const std::vector<Row>& rows) {
  std::cout << "\n"
            << absl::StrFormat("%-34s %6s %12s %12s %10s %8s %7s %14s %14s\n", "case", "rounds", "ours s",
                               "eager s", "eager/ours", "target", "", "faults ours", "faults eager");
  for (const Row& r : rows) {
    const bool vqa = r.name.rfind("VQA", 0) == 0;
    std::cout << absl::StrFormat(
        "%-34s %6d %12.3f %12.3f %9.2fx %8s %7s %14s %14s\n", r.name, r.ours.seconds.size(),
        Summarize(r.ours.seconds).median, Summarize(r.eager.seconds).median, r.ratio(),
        r.target ? absl::StrFormat(">=%.1fx", *r.target) : "-",
        r.target ? (r.ratio() >= *r.target ? "met" : "NOT met") : "",
        vqa ? absl::StrFormat("%.0f", Summarize(r.ours.faults).median) : "-",
        vqa ? absl::StrFormat("%.0f", Summarize(r.eager.faults).median) : "-");
  }
  std::cout << "(seconds: medians per forward / step; eager: eager PyTorch fp32 on the same work, interleaved;\n"
               " faults: minor page faults per forward, median)\n";
}

std::string Today() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buffer;
}

absl::Status Run() {
  SOHO_RETURN_IF_ERROR(ValidateFlags());
  const PretrainSetting& setting = FLAGS_setting == Res18Setting().name ? Res18Setting() : TinySetting();
  at::set_num_threads(FLAGS_threads);
  SetOpenBlasThreads(FLAGS_threads);
  // Random weights can produce denormals, which are very slow on CPUs and would time the
  // weights rather than the model; the eager script flushes them too.
  at::globalContext().setFlushDenormal(true);
  SOHO_ASSIGN_OR_RETURN(std::unique_ptr<Benchmark> bench, Benchmark::Create(setting));
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  const PretrainShape& s = setting.shape;
  std::cout << Today() << "  CPU: " << CpuModel() << " (" << std::thread::hardware_concurrency()
            << " hardware threads)  threads: " << at::get_num_threads()
            << "  OPENBLAS_CORETYPE=" << (coretype ? coretype : "") << "\n"
            << "ours: LibTorch " << TORCH_VERSION << ", BLAS: " << BlasDescription() << "\n"
            << "eager: " << bench->eager_environment() << "\n"
            << absl::StrFormat("setting %s: %dx%d images; VQA one question of %d tokens per image; pre-training "
                               "%d images x %d captions",
                               setting.name, s.height, s.width, s.length, s.images, s.captions)
            << std::endl;

  constexpr Precision kFp32 = proto::RuntimeConfig::FP32, kBf16 = proto::RuntimeConfig::BF16;
  const int64_t big = FLAGS_vqa_batch;
  std::vector<Row> rows = {
      {"VQA inference, batch 1, fp32", 1.2},
      {"VQA inference, batch 1, bf16", 3.0},
      {absl::StrCat("VQA inference, batch ", big, ", fp32"), std::nullopt},
      {absl::StrCat("VQA inference, batch ", big, ", bf16"), 2.5},
      {"pre-training step, fp32", 1.6},
      {"pre-training step, bf16", 2.5},
  };
  const std::vector<Precision> both = {kFp32, kBf16};
  for (const int64_t batch : {int64_t{1}, big}) {
    Row* first = &rows[batch == 1 ? 0 : 2];
    SOHO_RETURN_IF_ERROR(MeasureGroup(
        absl::StrCat("VQA batch ", batch), [&] { return bench->EagerVqa(batch); },
        [&](Precision p) -> absl::StatusOr<RunReport> { return bench->OursVqa(batch, p); }, {first, first + 1},
        both));
  }
  SOHO_RETURN_IF_ERROR(MeasureGroup(
      "pre-training step", [&] { return bench->EagerStep(); }, [&](Precision p) { return bench->OursStep(p); },
      {&rows[4], &rows[5]}, both));
  PrintTable(rows);
  return absl::OkStatus();
}

}  // namespace
}  // namespace soho::bench

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv,
                  "Our model against an eager PyTorch model of the same layers, in one run: VQA inference and\n"
                  "the pre-training step, fp32 and bf16, as speed-ups over eager fp32, with page faults per\n"
                  "forward and the BLAS in use.\n\n"
                  "  bazel build //benchmarks:model_benchmark\n"
                  "  bazel-bin/benchmarks/model_benchmark --threads=2    # from the repository root");
  return soho::cli::Report(soho::bench::Run());
}
