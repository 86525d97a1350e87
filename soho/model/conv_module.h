#pragma once
// mmcv's ConvModule as SOHO's necks use it: conv (no bias) followed by BatchNorm, no
// activation. Registered as "conv" and "bn" (neck.conv.conv.weight, neck.conv.bn.*).
//
// SyncBatchNorm seam: distributed training replaces how the BN is applied (statistics
// combined across ranks) with SetBatchNormFn; the BN module keeps owning the affine
// parameters and running statistics, so checkpoints are unchanged.
#include <cstdint>
#include <functional>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace soho::model {

// Applies `bn` (its weight, bias and running statistics, honouring bn.is_training()) to x.
using BatchNormFn = std::function<at::Tensor(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x)>;

class ConvModuleImpl : public torch::nn::Module {
 public:
  // Kaiming-normal conv (fan_out, relu: mmcv's kaiming_init), BN weight 1 and bias 0.
  ConvModuleImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size);
  at::Tensor forward(const at::Tensor& x);

  // Null restores the local BatchNorm.
  void SetBatchNormFn(BatchNormFn fn) { batch_norm_fn_ = std::move(fn); }
  // Inference only: the BatchNorm folded into the conv (see batch_norm_folding.h).
  void FoldBatchNorm();

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  BatchNormFn batch_norm_fn_;
  bool folded_ = false;
};
TORCH_MODULE(ConvModule);

}  // namespace soho::model
