// Google Benchmark micro-benchmarks of the speedtest's parts, at the paper's sizes
// (600 x 1000 images, ResNet-101, BERT-base width): SOHO's backbone and VQA neck, one
// transformer layer at each pipeline's sequence length, and the region pipeline's NMS,
// RoIAlign, res5 RoI head and per-class NMS.
//   bazel run -c opt //benchmarks:parts_benchmark -- --benchmark_filter=RoiAlign
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <thread>

#include "benchmarks/region/nms.h"
#include "benchmarks/region/roi_align.h"
#include "soho/model/bert.h"
#include "soho/model/necks.h"
#include "soho/model/resnet.h"

namespace soho::bench {
namespace {

constexpr int64_t kHeight = 608;  // 600 padded to a multiple of 32
constexpr int64_t kWidth = 1024;  // 1000 padded

void UseAllCores() {
  at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  at::globalContext().setFlushDenormal(true);
}

model::ResNet Backbone(int depth, int last_stage) {
  model::ResNetOptions options;
  options.depth = depth;
  options.frozen_stages = 0;
  options.out_stages = {last_stage};
  model::ResNet resnet(options);
  resnet->eval();
  return resnet;
}

// SOHO's backbone on one 600 x 1000 image (C5). Arg: depth.
void BM_Backbone(benchmark::State& state) {
  UseAllCores();
  c10::InferenceMode guard;
  model::ResNet resnet = Backbone(static_cast<int>(state.range(0)), 4);
  const at::Tensor image = at::randn({1, 3, kHeight, kWidth});
  for (auto _ : state) benchmark::DoNotOptimize(resnet->forward(image));
}
BENCHMARK(BM_Backbone)->Arg(18)->Arg(101)->Unit(benchmark::kMillisecond)->UseRealTime();

// The region pipeline's C4 trunk (stem..layer3) on one 600 x 1000 image. Arg: depth.
void BM_C4Trunk(benchmark::State& state) {
  UseAllCores();
  c10::InferenceMode guard;
  model::ResNet resnet = Backbone(static_cast<int>(state.range(0)), 3);
  const at::Tensor image = at::randn({1, 3, kHeight, kWidth});
  for (auto _ : state) benchmark::DoNotOptimize(resnet->forward(image));
}
BENCHMARK(BM_C4Trunk)->Arg(101)->Unit(benchmark::kMillisecond)->UseRealTime();

// SOHO's VQA neck on a C5 map of a 600 x 1000 image (19 x 32 -> 9 x 16 tokens). Arg: C5 channels.
void BM_VqaNeck(benchmark::State& state) {
  UseAllCores();
  c10::InferenceMode guard;
  model::NeckOptions options;
  options.in_channels = state.range(0);
  model::VqaNeck neck(options);
  neck->eval();
  const at::Tensor c5 = at::randn({1, options.in_channels, kHeight / 32, kWidth / 32});
  model::ImageGeometry geometry{at::tensor(std::vector<int64_t>{600, 1000}).view({1, 2}), kHeight, kWidth};
  for (auto _ : state) benchmark::DoNotOptimize(neck->forward(c5, geometry).tokens);
}
BENCHMARK(BM_VqaNeck)->Arg(512)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

// One BERT-base layer. Arg: sequence length (16 text tokens + 9 * 16 grid tokens = 160 for
// SOHO, 16 + 36 regions = 52 for the region pipeline).
void BM_TransformerLayer(benchmark::State& state) {
  UseAllCores();
  c10::InferenceMode guard;
  model::BertOptions options;
  model::BertLayer layer(options);
  layer->eval();
  const at::Tensor hidden = at::randn({1, state.range(0), options.hidden_size});
  const at::Tensor mask = model::AdditiveAttentionMask(at::ones({1, state.range(0)}), at::kFloat);
  for (auto _ : state) benchmark::DoNotOptimize(layer->forward(hidden, mask));
}
BENCHMARK(BM_TransformerLayer)->Arg(52)->Arg(160)->Unit(benchmark::kMillisecond)->UseRealTime();

at::Tensor RandomBoxes(int64_t n) {
  const at::Tensor xy = at::rand({n, 2}) * at::tensor(std::vector<float>{kWidth - 64.0f, kHeight - 64.0f});
  const at::Tensor wh = at::rand({n, 2}) * 400 + 16;
  return at::cat({xy, xy + wh}, 1);
}

// The RPN's NMS: 6000 proposals at IoU 0.7, stopping after 300 kept. Arg: block size.
void BM_RpnNms(benchmark::State& state) {
  UseAllCores();
  at::manual_seed(0);
  const at::Tensor boxes = RandomBoxes(6000);
  const at::Tensor scores = at::rand({6000});
  for (auto _ : state) benchmark::DoNotOptimize(region::Nms(boxes, scores, 0.7, 300, state.range(0)));
}
BENCHMARK(BM_RpnNms)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// Per-class NMS at 0.3 of 300 boxes over 1600 classes.
void BM_ClassNms(benchmark::State& state) {
  UseAllCores();
  at::manual_seed(0);
  const at::Tensor boxes = RandomBoxes(300);
  const at::Tensor scores = at::rand({300, 1600}).softmax(1);
  for (auto _ : state) benchmark::DoNotOptimize(region::MaxScoreAfterClassNms(boxes, scores, 0.3));
}
BENCHMARK(BM_ClassNms)->Unit(benchmark::kMillisecond)->UseRealTime();

// RoIAlign of 300 RoIs to 14 x 14 on a ResNet-101 C4 map (1024 x 38 x 64). Arg: sampling ratio.
void BM_RoiAlign(benchmark::State& state) {
  UseAllCores();
  at::manual_seed(0);
  const at::Tensor c4 = at::randn({1, 1024, kHeight / 16, kWidth / 16});
  const at::Tensor rois = at::cat({at::zeros({300, 1}), RandomBoxes(300)}, 1);
  const region::RoiAlignOptions options{.output_size = 14, .spatial_scale = 1.0 / 16,
                                        .sampling_ratio = state.range(0), .aligned = true};
  for (auto _ : state) benchmark::DoNotOptimize(region::RoiAlign(c4, rois, options));
}
BENCHMARK(BM_RoiAlign)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The res5 RoI head: ResNet-101 layer4 on RoIs of 1024 x 14 x 14, then average pooling.
// Arg: number of RoIs.
void BM_Res5Head(benchmark::State& state) {
  UseAllCores();
  c10::InferenceMode guard;
  model::ResNet resnet = Backbone(101, 4);
  const at::Tensor rois = at::randn({state.range(0), 1024, 14, 14});
  for (auto _ : state) benchmark::DoNotOptimize(resnet->layer4->forward(rois).mean({2, 3}));
}
BENCHMARK(BM_Res5Head)->Arg(36)->Arg(300)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace soho::bench
