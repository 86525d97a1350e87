#pragma once
// Global-norm gradient clipping, with torch.nn.utils.clip_grad_norm_'s arithmetic (what the
// reference's optimizer hook calls).
#include <vector>

#include <ATen/core/Tensor.h>

namespace soho::train {

// The global L2 norm of `grads`; when it is finite and above max_norm (> 0), every gradient
// is scaled in place by max_norm / (norm + 1e-6). Returns the norm before clipping (0 for
// no gradients; non-finite when a gradient is).
double ClipGradNorm(const std::vector<at::Tensor>& grads, double max_norm);

}  // namespace soho::train
