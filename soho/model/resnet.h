#pragma once
// torchvision-layout ResNet (18/34 BasicBlock, 50/101 Bottleneck, "pytorch" style: the
// stride sits on the 3x3 conv). Registered names are torchvision's state_dict keys
// (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, ...), so torchvision weights load
// after adding the "backbone." prefix.
//
// The stem and the four stages are public so that other code can run parts of the trunk,
// e.g. a ResNet-101 "C4" trunk (Stem, layer1..layer3) with layer4 run separately.
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "soho/proto/config.pb.h"

namespace soho::model {

struct ResNetOptions {
  // 18, 34, 50 or 101.
  int depth = 18;
  // 0: nothing frozen; k >= 1: the stem and layer1..layerk get no gradient and keep their
  // BatchNorms in eval mode.
  int frozen_stages = 1;
  // Keep every BatchNorm in eval mode (running statistics frozen) even when training.
  bool norm_eval = false;
  // Stages (1..4) whose outputs forward() returns, in increasing order.
  std::vector<int> out_stages = {4};
  // Zero the last BatchNorm's weight in each residual block (fresh weights only).
  bool zero_init_residual = true;
  // Width of the stem; stage k has base_channels << (k-1) planes. 64 is torchvision's ResNet.
  int64_t base_channels = 64;
  // Convolution weights (at construction) and the input (once, in Stem) in channels-last
  // memory: oneDNN then runs every convolution on NHWC activations instead of reordering
  // them into its blocked layout and back around each conv. Same values up to rounding.
  bool channels_last = true;

  static ResNetOptions FromProto(const proto::BackboneConfig& config);
};

class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlockImpl(int64_t in_channels, int64_t planes, int64_t stride);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::BatchNorm2d& last_norm() { return bn2; }
  // Eval only: each BatchNorm folded into its conv (see ResNetImpl::FoldBatchNorms).
  void FoldBatchNorms();

  // Declared (hence registered) in torchvision's order, so state_dicts list keys alike.
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};  // conv 1x1 + BN when shape changes

 private:
  bool folded_ = false;
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::BatchNorm2d& last_norm() { return bn3; }
  void FoldBatchNorms();

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Conv2d conv3{nullptr};
  torch::nn::BatchNorm2d bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};

 private:
  bool folded_ = false;
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(const ResNetOptions& options);

  // Outputs of the requested stages (options.out_stages), shallowest first. Stages after the
  // last requested one are not run.
  std::vector<at::Tensor> forward(const at::Tensor& images);
  // conv1 -> bn1 -> relu -> 3x3/2 max-pool: stride 4.
  at::Tensor Stem(const at::Tensor& images);
  // layer1..layer4 by number (1-based).
  torch::nn::Sequential& layer(int stage);

  // Output channels of a stage (1..4): base_channels x 1/2/4/8 x the block expansion.
  int64_t stage_channels(int stage) const;
  const ResNetOptions& options() const { return options_; }

  // Training mode, except frozen stages (and with norm_eval every BatchNorm) stay in eval.
  // A folded ResNet refuses training mode.
  void train(bool on = true) override;

  // For inference: folds every BatchNorm's running statistics and affine parameters into the
  // conv before it (which gains a bias), so forward skips the BatchNorms. Puts the module in
  // eval mode for good; its state_dict then no longer matches the unfolded layout, so fold
  // a copy (SohoVqaModelImpl::FoldedForInference), never the model being trained or saved.
  void FoldBatchNorms();
  bool folded() const { return folded_; }

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};

 private:
  void InitWeights();
  void ToChannelsLast();
  void FreezeStages();

  ResNetOptions options_;
  int64_t expansion_;
  bool folded_ = false;
};
TORCH_MODULE(ResNet);

}  // namespace soho::model
