#pragma once
// Inference-time BatchNorm folding. In eval mode a BatchNorm after a convolution is a fixed
// per-channel affine map, y = (conv(x) - mean) * gamma / sqrt(var + eps) + beta, which the
// convolution computes by itself with scaled weights and a bias: one pass over the
// activations less per conv, and oneDNN adds the bias inside the convolution kernel.
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace soho::model {

// Rewrites conv's weight (in place, keeping its memory format) and gives it a bias equal to
// bn's shift. Afterwards conv(x) equals bn(conv_before(x)) with bn in eval mode, so the
// caller must stop applying bn. The bias is registered as conv's buffer "bias" (the conv
// was built without a bias parameter), so Module::to() moves it along.
void FoldBatchNormIntoConv(torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl& bn);

}  // namespace soho::model
