#pragma once
// AdamwSGD, the reference's combined optimizer (docs/design.md §1): parameters whose name matches
// an SGD group's regex (the backbone, in the released configs) take SGD with momentum, all
// others AdamW, in one optimizer with one learning rate schedule.
//
//   SOHO_ASSIGN_OR_RETURN(AdamwSgd optimizer, AdamwSgd::Create(model->named_parameters(), config.optimizer()));
//   loss.backward();
//   optimizer.Step(schedule.LearningRate(iteration));
//   optimizer.ZeroGrad();
//
// The arithmetic is the reference's, which differs from torch.optim in two places:
//   SGD:   g += wd * p; buf = g on the first step, else buf = momentum * buf + g;
//          p -= lr * lr_mult * buf.
//   AdamW: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; denom = sqrt(v) + eps;
//          p -= lr * lr_mult * sqrt(1 - b2^t) / (1 - b1^t) * m / denom (bias correction folded
//          into the step size, eps outside it); then p -= lr * lr_mult * wd * p (decoupled
//          decay applied after the update, the Hugging Face order).
// Parameters without a gradient (frozen, or unused this step) are skipped, as torch.optim does.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>
#include <torch/ordered_dict.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/proto/config.pb.h"

namespace soho::train {

class AdamwSgd {
 public:
  enum class Kind { kAdamW, kSgd };

  struct Group {
    Kind kind = Kind::kAdamW;
    std::string name_regex;  // empty for the default AdamW group
    double lr_mult = 1.0;
    double weight_decay = 0.0;
    double momentum = 0.9;              // SGD
    double beta1 = 0.9, beta2 = 0.999;  // AdamW
    double eps = 1e-6;                  // AdamW
    std::vector<std::string> names;
    std::vector<at::Tensor> params;
  };

  // Groups parameters by optimizer.groups[].name_regex (searched in the full name; first
  // match wins); the rest form a last AdamW group with the optimizer's own settings. Frozen
  // parameters (requires_grad false) join no group.
  static absl::StatusOr<AdamwSgd> Create(const torch::OrderedDict<std::string, at::Tensor>& named_parameters,
                                         const proto::OptimizerConfig& config);

  // One update with base learning rate `lr` (each group uses lr * lr_mult).
  void Step(double lr);
  void ZeroGrad();

  // Every trainable parameter's gradient (undefined ones skipped), for clipping.
  std::vector<at::Tensor> Gradients() const;

  const std::vector<Group>& groups() const { return groups_; }
  int64_t steps() const { return steps_; }

  // PyTorch's optimizer state_dict layout: {"state": {index: {"step", "exp_avg",
  // "exp_avg_sq"} or {"momentum_buffer"}}, "param_groups": [{"params": [index...], ...}]},
  // indices counting parameters group by group. Tensors are CPU copies.
  c10::IValue StateDict() const;
  // Restores a StateDict() of an optimizer over the same parameters and groups; anything
  // else (other group layout, other shapes) is an error that says what differs.
  absl::Status LoadStateDict(const c10::IValue& state);

 private:
  struct ParamState {
    int64_t step = 0;
    at::Tensor exp_avg, exp_avg_sq;  // AdamW
    at::Tensor momentum_buffer;      // SGD
  };

  explicit AdamwSgd(std::vector<Group> groups);

  std::vector<Group> groups_;
  std::vector<std::vector<ParamState>> state_;  // [group][param]
  int64_t steps_ = 0;
};

}  // namespace soho::train
