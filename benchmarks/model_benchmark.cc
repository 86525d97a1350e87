// Google Benchmarks of the SOHO model on CPU: one pre-training step (forward + backward of
// all three losses) for the released res18 configuration (2 images of 600x1000, 4 captions
// each) and for the tiny CPU configuration, plus inference forwards.
//
//   bazel run -c opt //benchmarks:model_benchmark
//   OPENBLAS_CORETYPE=SkylakeX SOHO_BENCHMARK_THREADS=2 bazel run //benchmarks:model_benchmark
//
// The context lines printed first name the BLAS library torch resolved and the threads.
// //benchmarks:train_benchmark times the full training step (with clipping and the
// optimizer) against eager PyTorch.
#include <cstdlib>
#include <string>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "benchmarks/blas_info.h"
#include "benchmarks/pretrain_workload.h"
#include "soho/common/logging.h"

namespace soho::bench {
namespace {

PretrainWorkload MakeWorkload(const PretrainSetting& setting) {
  auto config = LoadBenchmarkConfig(setting.config_path);
  CHECK(config.ok()) << config.status();
  return MakePretrainWorkload(config->model(), setting.shape);
}

void PretrainStep(benchmark::State& state, const PretrainSetting& setting) {
  PretrainWorkload work = MakeWorkload(setting);
  int64_t iteration = 0;
  for (auto _ : state) {
    work.model->SetIteration(++iteration);
    work.model->zero_grad();
    model::NamedTensors losses = work.model->Losses(work.images, work.text, work.targets);
    losses.at("loss").backward();
    benchmark::DoNotOptimize(losses.at("loss").item<float>());
  }
  state.counters["images/s"] = benchmark::Counter(
      static_cast<double>(setting.shape.images * state.iterations()), benchmark::Counter::kIsRate);
}

void PretrainForwardEval(benchmark::State& state, const PretrainSetting& setting) {
  PretrainWorkload work = MakeWorkload(setting);
  work.model->eval();
  at::NoGradGuard no_grad;
  for (auto _ : state) {
    auto out = work.model->forward(work.images, work.text);
    benchmark::DoNotOptimize(out.itm_logits.sum().item<float>());
  }
  state.counters["images/s"] = benchmark::Counter(
      static_cast<double>(setting.shape.images * state.iterations()), benchmark::Counter::kIsRate);
}

// Wall-clock time (torch runs on several threads; CPU time would count only the main one).
// Released setting: batch 2 x 4 captions, 600x1000 images (padded to 608x1024).
BENCHMARK_CAPTURE(PretrainStep, res18_b2_600x1000, Res18Setting())
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(PretrainForwardEval, res18_b2_600x1000, Res18Setting())
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
// Tiny CPU config: batch 8 x 2 captions, 160x224 images.
BENCHMARK_CAPTURE(PretrainStep, tiny_b8_160x224, TinySetting())
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK_CAPTURE(PretrainForwardEval, tiny_b8_160x224, TinySetting())
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

}  // namespace
}  // namespace soho::bench

int main(int argc, char** argv) {
  const char* threads = std::getenv("SOHO_BENCHMARK_THREADS");
  at::set_num_threads(threads ? std::atoi(threads)
                              : static_cast<int>(std::thread::hardware_concurrency()));
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
  benchmark::AddCustomContext("blas", soho::bench::BlasDescription());
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", coretype ? coretype : "(unset)");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
