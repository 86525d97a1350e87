#include "soho/losses/losses.h"

#include <ATen/ATen.h>

namespace soho::losses {

at::Tensor MaskedCrossEntropy(const at::Tensor& logits, const at::Tensor& labels) {
  const at::Tensor summed = at::cross_entropy_loss(logits, labels, /*weight=*/{},
                                                   at::Reduction::Sum, kIgnoreIndex);
  const at::Tensor count = labels.ne(kIgnoreIndex).sum().to(summed.scalar_type());
  return summed / (count + 1e-6);
}

at::Tensor MeanCrossEntropy(const at::Tensor& logits, const at::Tensor& labels) {
  // sum / count keeps the division on the device (no host sync), unlike testing for zero rows.
  const at::Tensor count = labels.ne(kIgnoreIndex).sum().clamp_min(1);
  return at::cross_entropy_loss(logits, labels, /*weight=*/{}, at::Reduction::Sum, kIgnoreIndex) / count;
}

at::Tensor MaskedAccuracy(const at::Tensor& logits, const at::Tensor& labels) {
  const at::Tensor counted = labels.ne(kIgnoreIndex);
  const at::Tensor correct = logits.detach().argmax(-1).eq(labels).logical_and(counted);
  return correct.sum().to(at::kFloat) * 100.0 / counted.sum().clamp_min(1).to(at::kFloat);
}

at::Tensor VqaBceLoss(const at::Tensor& logits, const at::Tensor& soft_targets) {
  return at::binary_cross_entropy_with_logits(logits, soft_targets.to(logits.scalar_type())) *
         static_cast<double>(soft_targets.size(1));
}

at::Tensor VqaSoftScore(const at::Tensor& logits, const at::Tensor& soft_targets) {
  return soft_targets.gather(1, logits.detach().argmax(1, /*keepdim=*/true)).squeeze(1);
}

}  // namespace soho::losses
