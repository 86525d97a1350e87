#include "soho/model/batch_norm_folding.h"

#include <ATen/ATen.h>

namespace soho::model {

void FoldBatchNormIntoConv(torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl& bn) {
  TORCH_CHECK(bn.options.affine() && bn.options.track_running_stats(),
              "only an affine BatchNorm with running statistics can be folded");
  TORCH_CHECK(!conv.bias.defined(), "folding expects a conv without bias (mmdet's layout)");
  at::NoGradGuard no_grad;
  // In double, so that the folded conv rounds once, like the unfolded pair.
  const at::Tensor scale =
      bn.weight.to(at::kDouble) / (bn.running_var.to(at::kDouble) + bn.options.eps()).sqrt();
  conv.weight.copy_(conv.weight.to(at::kDouble) * scale.view({-1, 1, 1, 1}));
  const at::Tensor shift = bn.bias.to(at::kDouble) - bn.running_mean.to(at::kDouble) * scale;
  conv.bias = conv.register_buffer("bias", shift.to(conv.weight.scalar_type()));
}

}  // namespace soho::model
