#include "soho/train/sync_batch_norm.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

namespace soho::train {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Statistics are summed in double: the sum of squares minus the squared mean loses digits
// in float, and the per-channel vectors are small.
const std::vector<int64_t> kReduceDims = {0, 2, 3};

at::Tensor PerChannel(const at::Tensor& t) { return t.view({1, -1, 1, 1}); }

class SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias, torch::nn::BatchNorm2dImpl* bn, Collective* collective) {
    const at::Tensor xf = x.to(at::kFloat);
    const int64_t channels = x.size(1);
    std::vector<at::Tensor> stats = {at::cat({xf.sum(kReduceDims, false, at::kDouble),
                                              xf.square().sum(kReduceDims, false, at::kDouble),
                                              at::full({1}, static_cast<double>(xf.numel() / channels),
                                                       xf.options().dtype(at::kDouble))})};
    collective->AllReduceSum(stats);
    const at::Tensor count = stats[0].narrow(0, 2 * channels, 1);
    const at::Tensor mean = stats[0].narrow(0, 0, channels) / count;
    const at::Tensor var = (stats[0].narrow(0, channels, channels) / count - mean.square()).clamp_min(0);
    const double eps = bn->options.eps();
    const at::Tensor invstd = (var + eps).rsqrt();
    {
      // Running statistics as torch's BatchNorm updates them (unbiased variance; momentum,
      // or a cumulative average when momentum is unset).
      at::NoGradGuard no_grad;
      bn->num_batches_tracked.add_(1);
      const double momentum = bn->options.momentum().has_value()
                                  ? *bn->options.momentum()
                                  : 1.0 / bn->num_batches_tracked.item<double>();
      const double n = count.item<double>();
      bn->running_mean.mul_(1 - momentum).add_(mean.to(bn->running_mean.scalar_type()), momentum);
      bn->running_var.mul_(1 - momentum)
          .add_((var * (n / std::max(n - 1, 1.0))).to(bn->running_var.scalar_type()), momentum);
    }
    const at::Tensor mean_f = PerChannel(mean.to(at::kFloat));
    const at::Tensor invstd_f = PerChannel(invstd.to(at::kFloat));
    ctx->save_for_backward({xf, weight, mean_f, invstd_f, count});
    // A raw pointer in the graph: the Collective belongs to the trainer and outlives the
    // graphs of its iterations (SyncBatchNormFn's contract).
    ctx->saved_data["collective"] = reinterpret_cast<int64_t>(collective);
    ctx->saved_data["dtype"] = x.scalar_type();
    const at::Tensor xhat = (xf - mean_f) * invstd_f;
    return (xhat * PerChannel(weight.to(at::kFloat)) + PerChannel(bias.to(at::kFloat))).to(x.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& xf = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor& mean = saved[2];
    const at::Tensor& invstd = saved[3];
    const double n = saved[4].item<double>();
    auto* collective = reinterpret_cast<Collective*>(ctx->saved_data["collective"].toInt());
    const at::Tensor dy = grad_outputs[0].to(at::kFloat);
    const at::Tensor xhat = (xf - mean) * invstd;
    const at::Tensor sum_dy = dy.sum(kReduceDims, false, at::kDouble);
    const at::Tensor sum_dy_xhat = (dy * xhat).sum(kReduceDims, false, at::kDouble);
    // The affine parameters' gradients are this rank's (the Reducer averages them); the
    // input's needs the sums over every rank's part of the batch.
    const int64_t channels = xf.size(1);
    std::vector<at::Tensor> sums = {at::cat({sum_dy, sum_dy_xhat})};
    collective->AllReduceSum(sums);
    const at::Tensor mean_dy = PerChannel((sums[0].narrow(0, 0, channels) / n).to(at::kFloat));
    const at::Tensor mean_dy_xhat = PerChannel((sums[0].narrow(0, channels, channels) / n).to(at::kFloat));
    const at::Tensor dx = PerChannel(weight.to(at::kFloat)) * invstd * (dy - mean_dy - xhat * mean_dy_xhat);
    const auto dtype = ctx->saved_data["dtype"].toScalarType();
    return {dx.to(dtype), sum_dy_xhat.to(weight.scalar_type()), sum_dy.to(weight.scalar_type()), at::Tensor(),
            at::Tensor()};
  }
};

}  // namespace

model::BatchNormFn SyncBatchNormFn(std::shared_ptr<Collective> collective) {
  return [collective](torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) -> at::Tensor {
    if (!bn.is_training()) return bn.forward(x);
    return SyncBatchNormFunction::apply(x, bn.weight, bn.bias, &bn, collective.get());
  };
}

}  // namespace soho::train
