// Google Benchmarks of the SOHO model on CPU: one pre-training step (forward + backward of
// all three losses) for the released res18 configuration (2 images of 600x1000, 4 captions
// each) and for the tiny CPU configuration, plus inference forwards.
//
//   bazel run -c opt //benchmarks:model_benchmark
//   OPENBLAS_CORETYPE=SkylakeX SOHO_BENCHMARK_THREADS=2 bazel run //benchmarks:model_benchmark
//
// The context lines printed first name the BLAS library torch resolved and the threads.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "soho/common/logging.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config_loader.h"

namespace soho {
namespace {

proto::ModelConfig LoadModelConfig(const std::string& path) {
  ValidateOptions options;
  options.check_files = false;
  auto config = LoadConfig(path, {}, options);
  CHECK(config.ok()) << config.status();
  return config->model();
}

struct PretrainWorkload {
  model::SohoPretrainModel model{nullptr};
  model::ImageBatch images;
  model::TextBatch text;
  model::PretrainTargets targets;
};

// `batch` images of valid size (h, w) padded to multiples of 32, `group` captions each of
// `length` tokens with 15% of them MLM targets and half the captions mismatched.
PretrainWorkload MakePretrainWorkload(const std::string& config_path, int64_t batch, int64_t h,
                                      int64_t w, int64_t group, int64_t length) {
  torch::manual_seed(0);
  const proto::ModelConfig config = LoadModelConfig(config_path);
  PretrainWorkload work;
  work.model = model::SohoPretrainModel(config);
  work.model->train();
  const int64_t padded_h = (h + 31) / 32 * 32, padded_w = (w + 31) / 32 * 32;
  work.images.images = at::zeros({batch, 3, padded_h, padded_w});
  work.images.images.narrow(2, 0, h).narrow(3, 0, w).normal_();
  work.images.valid_hw = at::tensor({h, w}, at::kLong).repeat({batch, 1});
  const int64_t rows = batch * group;
  const int64_t vocab = config.transformer().vocab_size();
  work.text.input_ids = at::randint(1, vocab, {rows, length}, at::kLong);
  work.text.attention_mask = at::ones({rows, length}, at::kLong);
  const at::Tensor masked = at::rand({rows, length}).lt(0.15);
  work.targets.mlm_labels = at::where(masked, work.text.input_ids, at::full_like(work.text.input_ids, -100));
  work.targets.itm_labels = at::randint(0, 2, {rows}, at::kLong);
  return work;
}

void PretrainStep(benchmark::State& state, const std::string& config_path, int64_t batch,
                  int64_t h, int64_t w, int64_t group) {
  PretrainWorkload work = MakePretrainWorkload(config_path, batch, h, w, group, 16);
  int64_t iteration = 0;
  for (auto _ : state) {
    work.model->SetIteration(++iteration);
    work.model->zero_grad();
    model::NamedTensors losses = work.model->Losses(work.images, work.text, work.targets);
    losses.at("loss").backward();
    benchmark::DoNotOptimize(losses.at("loss").item<float>());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
}

void PretrainForwardEval(benchmark::State& state, const std::string& config_path, int64_t batch,
                         int64_t h, int64_t w, int64_t group) {
  PretrainWorkload work = MakePretrainWorkload(config_path, batch, h, w, group, 16);
  work.model->eval();
  at::NoGradGuard no_grad;
  for (auto _ : state) {
    auto out = work.model->forward(work.images, work.text);
    benchmark::DoNotOptimize(out.itm_logits.sum().item<float>());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
}

constexpr char kRes18[] = "configs/pretrain/soho_res18_pre.pbtxt";
constexpr char kTiny[] = "configs/tiny/pretrain.pbtxt";

// Released setting: batch 2 x 4 captions, 600x1000 images (padded to 608x1024).
BENCHMARK_CAPTURE(PretrainStep, res18_b2_600x1000, kRes18, 2, 600, 1000, 4)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(PretrainForwardEval, res18_b2_600x1000, kRes18, 2, 600, 1000, 4)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
// Tiny CPU config: batch 8 x 2 captions, 160x224 images.
BENCHMARK_CAPTURE(PretrainStep, tiny_b8_160x224, kTiny, 8, 160, 224, 2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(PretrainForwardEval, tiny_b8_160x224, kTiny, 8, 160, 224, 2)
    ->Unit(benchmark::kMillisecond);

std::string BlasLibrary() {
  char target[PATH_MAX] = {0};
  const char* alternative = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu";
  const ssize_t n = readlink(alternative, target, sizeof(target) - 1);
  return n > 0 ? std::string(target, n) : "unknown (no " + std::string(alternative) + ")";
}

}  // namespace
}  // namespace soho

int main(int argc, char** argv) {
  const char* threads = std::getenv("SOHO_BENCHMARK_THREADS");
  at::set_num_threads(threads ? std::atoi(threads)
                              : static_cast<int>(std::thread::hardware_concurrency()));
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
  benchmark::AddCustomContext("blas", soho::BlasLibrary());
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", coretype ? coretype : "(unset)");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
