#include "soho/train/grad_clip.h"

#include <cmath>

#include <ATen/ATen.h>

namespace soho::train {

double ClipGradNorm(const std::vector<at::Tensor>& grads, double max_norm) {
  if (grads.empty()) return 0;
  std::vector<at::Tensor> norms;
  norms.reserve(grads.size());
  for (const at::Tensor& g : grads) norms.push_back(g.norm(2).to(at::kFloat));
  const double total = at::stack(norms).norm(2).item<double>();
  if (max_norm > 0 && std::isfinite(total)) {
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1) {
      // Tensors are handles: scaling through a copy scales the gradient itself.
      for (at::Tensor g : grads) g.mul_(coef);
    }
  }
  return total;
}

}  // namespace soho::train
