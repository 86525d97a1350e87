#include "soho/model/conv_module.h"

#include <torch/nn/init.h>

#include "soho/model/batch_norm_folding.h"

namespace soho::model {

namespace nn = torch::nn;

ConvModuleImpl::ConvModuleImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
    : conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels,
                                                                kernel_size)
                                                  .padding(kernel_size / 2)
                                                  .bias(false)))),
      bn(register_module("bn", nn::BatchNorm2d(out_channels))) {
  torch::NoGradGuard no_grad;
  nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
  nn::init::ones_(bn->weight);
  nn::init::zeros_(bn->bias);
}

at::Tensor ConvModuleImpl::forward(const at::Tensor& x) {
  at::Tensor y = conv(x);
  if (folded_) return y;
  return batch_norm_fn_ ? batch_norm_fn_(*bn, y) : bn(y);
}

void ConvModuleImpl::FoldBatchNorm() {
  TORCH_CHECK(!batch_norm_fn_, "a SyncBatchNorm ConvModule is for training, not folding");
  FoldBatchNormIntoConv(*conv, *bn);
  folded_ = true;
}

}  // namespace soho::model
