#include "soho/model/resnet.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "soho/common/logging.h"
#include "soho/model/batch_norm_folding.h"

namespace soho::model {
namespace {

namespace nn = torch::nn;

nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

nn::BatchNorm2d Norm(int64_t channels) { return nn::BatchNorm2d(nn::BatchNorm2dOptions(channels)); }

// torchvision's projection shortcut: "downsample.0" conv 1x1, "downsample.1" BN.
nn::Sequential Downsample(int64_t in, int64_t out, int64_t stride) {
  return nn::Sequential(Conv(in, out, 1, stride, 0), Norm(out));
}

struct BlockLayout {
  bool bottleneck;
  std::vector<int64_t> blocks;  // per stage
};

BlockLayout LayoutForDepth(int depth) {
  switch (depth) {
    case 18: return {false, {2, 2, 2, 2}};
    case 34: return {false, {3, 4, 6, 3}};
    case 50: return {true, {3, 4, 6, 3}};
    case 101: return {true, {3, 4, 23, 3}};
    default: TORCH_CHECK(false, "ResNet depth must be 18, 34, 50 or 101, got ", depth);
  }
}

// conv then its BatchNorm, or the conv alone once the BatchNorm is folded into it.
at::Tensor ConvNorm(nn::Conv2d& conv, nn::BatchNorm2d& bn, const at::Tensor& x, bool folded) {
  at::Tensor y = conv(x);
  return folded ? y : bn(y);
}

at::Tensor Shortcut(nn::Sequential& downsample, const at::Tensor& x, bool folded) {
  if (!downsample) return x;
  if (!folded) return downsample->forward(x);
  return downsample[0]->as<nn::Conv2d>()->forward(x);
}

void FoldDownsample(nn::Sequential& downsample) {
  if (!downsample) return;
  FoldBatchNormIntoConv(*downsample[0]->as<nn::Conv2d>(), *downsample[1]->as<nn::BatchNorm2d>());
}

template <typename Block>
nn::Sequential MakeStage(int64_t& in_channels, int64_t planes, int64_t blocks, int64_t stride) {
  nn::Sequential stage;
  for (int64_t i = 0; i < blocks; ++i) {
    stage->push_back(Block(in_channels, planes, i == 0 ? stride : 1));
    in_channels = planes * Block::ContainedType::kExpansion;
  }
  return stage;
}

}  // namespace

ResNetOptions ResNetOptions::FromProto(const proto::BackboneConfig& config) {
  ResNetOptions options;
  options.depth = config.depth();
  options.frozen_stages = config.frozen_stages();
  options.norm_eval = config.norm_eval();
  if (config.out_stages_size() > 0) {
    options.out_stages.assign(config.out_stages().begin(), config.out_stages().end());
    std::sort(options.out_stages.begin(), options.out_stages.end());
  }
  options.zero_init_residual = config.zero_init_residual();
  options.base_channels = config.base_channels();
  options.channels_last = config.channels_last();
  return options;
}

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t planes, int64_t stride)
    : conv1(register_module("conv1", Conv(in_channels, planes, 3, stride, 1))),
      bn1(register_module("bn1", Norm(planes))),
      conv2(register_module("conv2", Conv(planes, planes, 3, 1, 1))),
      bn2(register_module("bn2", Norm(planes))) {
  if (stride != 1 || in_channels != planes * kExpansion) {
    downsample = register_module("downsample", Downsample(in_channels, planes * kExpansion, stride));
  }
}

// The ReLUs run in place (as torchvision's inplace=True): BatchNorm's backward needs its
// input, not its output, and a fresh activation tensor costs page faults per forward.
at::Tensor BasicBlockImpl::forward(const at::Tensor& x) {
  at::Tensor out = ConvNorm(conv1, bn1, x, folded_).relu_();
  out = ConvNorm(conv2, bn2, out, folded_);
  out += Shortcut(downsample, x, folded_);
  return at::relu_(out);
}

void BasicBlockImpl::FoldBatchNorms() {
  FoldBatchNormIntoConv(*conv1, *bn1);
  FoldBatchNormIntoConv(*conv2, *bn2);
  FoldDownsample(downsample);
  folded_ = true;
}

BottleneckImpl::BottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride)
    : conv1(register_module("conv1", Conv(in_channels, planes, 1, 1, 0))),
      bn1(register_module("bn1", Norm(planes))),
      conv2(register_module("conv2", Conv(planes, planes, 3, stride, 1))),
      bn2(register_module("bn2", Norm(planes))),
      conv3(register_module("conv3", Conv(planes, planes * kExpansion, 1, 1, 0))),
      bn3(register_module("bn3", Norm(planes * kExpansion))) {
  if (stride != 1 || in_channels != planes * kExpansion) {
    downsample = register_module("downsample", Downsample(in_channels, planes * kExpansion, stride));
  }
}

at::Tensor BottleneckImpl::forward(const at::Tensor& x) {
  at::Tensor out = ConvNorm(conv1, bn1, x, folded_).relu_();
  out = ConvNorm(conv2, bn2, out, folded_).relu_();
  out = ConvNorm(conv3, bn3, out, folded_);
  out += Shortcut(downsample, x, folded_);
  return at::relu_(out);
}

void BottleneckImpl::FoldBatchNorms() {
  FoldBatchNormIntoConv(*conv1, *bn1);
  FoldBatchNormIntoConv(*conv2, *bn2);
  FoldBatchNormIntoConv(*conv3, *bn3);
  FoldDownsample(downsample);
  folded_ = true;
}

ResNetImpl::ResNetImpl(const ResNetOptions& options) : options_(options) {
  const BlockLayout layout = LayoutForDepth(options.depth);
  TORCH_CHECK(options.frozen_stages >= 0 && options.frozen_stages <= 4,
              "frozen_stages must be in [0, 4], got ", options.frozen_stages);
  TORCH_CHECK(!options.out_stages.empty(), "ResNet needs at least one output stage");
  for (int stage : options.out_stages) {
    TORCH_CHECK(stage >= 1 && stage <= 4, "ResNet output stages are 1..4, got ", stage);
  }
  TORCH_CHECK(options.base_channels >= 1, "ResNet base_channels must be >= 1, got ",
              options.base_channels);
  expansion_ = layout.bottleneck ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion;

  const int64_t base = options.base_channels;
  conv1 = register_module("conv1", Conv(3, base, 7, 2, 3));
  bn1 = register_module("bn1", Norm(base));
  int64_t channels = base;
  nn::Sequential* stages[] = {&layer1, &layer2, &layer3, &layer4};
  for (int i = 0; i < 4; ++i) {
    const int64_t planes = base << i;
    const int64_t stride = i == 0 ? 1 : 2;
    *stages[i] = layout.bottleneck
                     ? MakeStage<Bottleneck>(channels, planes, layout.blocks[i], stride)
                     : MakeStage<BasicBlock>(channels, planes, layout.blocks[i], stride);
    register_module("layer" + std::to_string(i + 1), *stages[i]);
  }
  InitWeights();
  if (options.channels_last) ToChannelsLast();
  FreezeStages();
  train(true);
}

void ResNetImpl::ToChannelsLast() {
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<nn::Conv2d>()) {
      // set_data keeps the parameter's identity; loading weights later copies into it and
      // Module::to() preserves the layout, so this happens once per model.
      conv->weight.set_data(conv->weight.contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
}

void ResNetImpl::InitWeights() {
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
  if (!options_.zero_init_residual) return;
  for (nn::Sequential* stage : {&layer1, &layer2, &layer3, &layer4}) {
    for (auto& block : (*stage)->children()) {
      if (auto* basic = block->as<BasicBlock>()) nn::init::zeros_(basic->last_norm()->weight);
      if (auto* bottleneck = block->as<Bottleneck>()) {
        nn::init::zeros_(bottleneck->last_norm()->weight);
      }
    }
  }
}

void ResNetImpl::FreezeStages() {
  if (options_.frozen_stages == 0) return;
  for (auto& p : conv1->parameters()) p.set_requires_grad(false);
  for (auto& p : bn1->parameters()) p.set_requires_grad(false);
  for (int stage = 1; stage <= options_.frozen_stages; ++stage) {
    for (auto& p : layer(stage)->parameters()) p.set_requires_grad(false);
  }
}

void ResNetImpl::train(bool on) {
  TORCH_CHECK(!(on && folded_), "a ResNet with folded BatchNorms is for inference only");
  nn::Module::train(on);
  if (!on) return;
  if (options_.frozen_stages > 0) {
    bn1->eval();
    for (int stage = 1; stage <= options_.frozen_stages; ++stage) layer(stage)->eval();
  }
  if (options_.norm_eval) {
    for (auto& module : modules(/*include_self=*/false)) {
      if (module->as<nn::BatchNorm2d>()) module->eval();
    }
  }
}

torch::nn::Sequential& ResNetImpl::layer(int stage) {
  switch (stage) {
    case 1: return layer1;
    case 2: return layer2;
    case 3: return layer3;
    case 4: return layer4;
    default: TORCH_CHECK(false, "ResNet stages are 1..4, got ", stage);
  }
}

int64_t ResNetImpl::stage_channels(int stage) const {
  TORCH_CHECK(stage >= 1 && stage <= 4, "ResNet stages are 1..4, got ", stage);
  return (options_.base_channels << (stage - 1)) * expansion_;
}

at::Tensor ResNetImpl::Stem(const at::Tensor& images) {
  // The one layout change of the input; every later activation stays channels-last.
  const at::Tensor input =
      options_.channels_last ? images.contiguous(at::MemoryFormat::ChannelsLast) : images;
  return at::max_pool2d(ConvNorm(conv1, bn1, input, folded_).relu_(), {3, 3}, {2, 2}, {1, 1});
}

void ResNetImpl::FoldBatchNorms() {
  eval();
  FoldBatchNormIntoConv(*conv1, *bn1);
  for (nn::Sequential* stage : {&layer1, &layer2, &layer3, &layer4}) {
    for (auto& block : (*stage)->children()) {
      if (auto* basic = block->as<BasicBlock>()) basic->FoldBatchNorms();
      if (auto* bottleneck = block->as<Bottleneck>()) bottleneck->FoldBatchNorms();
    }
  }
  folded_ = true;
}

std::vector<at::Tensor> ResNetImpl::forward(const at::Tensor& images) {
  std::vector<at::Tensor> outputs;
  at::Tensor x = Stem(images);
  const int last = options_.out_stages.back();
  for (int stage = 1; stage <= last; ++stage) {
    x = layer(stage)->forward(x);
    if (std::find(options_.out_stages.begin(), options_.out_stages.end(), stage) !=
        options_.out_stages.end()) {
      outputs.push_back(x);
    }
  }
  return outputs;
}

}  // namespace soho::model
