#include "soho/train/adamw_sgd.h"

#include <cmath>
#include <regex>
#include <utility>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"

namespace soho::train {
namespace {

const char* KindName(AdamwSgd::Kind kind) { return kind == AdamwSgd::Kind::kSgd ? "sgd" : "adamw"; }

}  // namespace

AdamwSgd::AdamwSgd(std::vector<Group> groups) : groups_(std::move(groups)) {
  for (const Group& g : groups_) state_.emplace_back(g.params.size());
}

absl::StatusOr<AdamwSgd> AdamwSgd::Create(const torch::OrderedDict<std::string, at::Tensor>& named_parameters,
                                          const proto::OptimizerConfig& config) {
  std::vector<Group> groups;
  std::vector<std::regex> patterns;
  for (int i = 0; i < config.groups_size(); ++i) {
    const proto::ParamGroup& spec = config.groups(i);
    try {
      patterns.emplace_back(spec.name_regex());
    } catch (const std::regex_error& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer.groups[", i, "].name_regex: invalid regex '", spec.name_regex(), "': ", e.what()));
    }
    Group g;
    g.kind = spec.optimizer() == proto::ParamGroup::SGD ? Kind::kSgd : Kind::kAdamW;
    g.name_regex = spec.name_regex();
    g.lr_mult = spec.lr_mult();
    g.weight_decay = spec.has_weight_decay() ? spec.weight_decay() : config.weight_decay();
    g.momentum = spec.momentum();
    g.beta1 = config.beta1();
    g.beta2 = config.beta2();
    g.eps = config.eps();
    groups.push_back(std::move(g));
  }
  Group rest;
  rest.weight_decay = config.weight_decay();
  rest.beta1 = config.beta1();
  rest.beta2 = config.beta2();
  rest.eps = config.eps();
  groups.push_back(std::move(rest));

  for (const auto& item : named_parameters) {
    if (!item.value().requires_grad()) continue;
    size_t g = 0;
    while (g < patterns.size() && !std::regex_search(item.key(), patterns[g])) ++g;
    groups[g].names.push_back(item.key());
    groups[g].params.push_back(item.value());
  }
  return AdamwSgd(std::move(groups));
}

void AdamwSgd::Step(double lr) {
  at::NoGradGuard no_grad;
  ++steps_;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const Group& g = groups_[gi];
    const double group_lr = lr * g.lr_mult;
    for (size_t pi = 0; pi < g.params.size(); ++pi) {
      at::Tensor p = g.params[pi];
      const at::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      ParamState& s = state_[gi][pi];
      ++s.step;
      if (g.kind == Kind::kSgd) {
        at::Tensor d = g.weight_decay != 0 ? grad.add(p, g.weight_decay) : grad;
        if (g.momentum != 0) {
          if (!s.momentum_buffer.defined()) {
            s.momentum_buffer = d.clone();  // the first step's gradient, as torch.optim.SGD
          } else {
            s.momentum_buffer.mul_(g.momentum).add_(d);
          }
          d = s.momentum_buffer;
        }
        p.add_(d, -group_lr);
      } else {
        if (!s.exp_avg.defined()) {
          s.exp_avg = at::zeros_like(p, at::MemoryFormat::Preserve);
          s.exp_avg_sq = at::zeros_like(p, at::MemoryFormat::Preserve);
        }
        s.exp_avg.mul_(g.beta1).add_(grad, 1.0 - g.beta1);
        s.exp_avg_sq.mul_(g.beta2).addcmul_(grad, grad, 1.0 - g.beta2);
        const at::Tensor denom = s.exp_avg_sq.sqrt().add_(g.eps);
        const double t = static_cast<double>(s.step);
        const double step_size =
            group_lr * std::sqrt(1.0 - std::pow(g.beta2, t)) / (1.0 - std::pow(g.beta1, t));
        p.addcdiv_(s.exp_avg, denom, -step_size);
        if (g.weight_decay > 0) p.add_(p, -group_lr * g.weight_decay);
      }
    }
  }
}

void AdamwSgd::ZeroGrad() {
  for (Group& g : groups_) {
    for (at::Tensor& p : g.params) {
      // Dropping the gradient (set_to_none) frees it and lets backward write it fresh.
      if (p.grad().defined()) p.mutable_grad().reset();
    }
  }
}

std::vector<at::Tensor> AdamwSgd::Gradients() const {
  std::vector<at::Tensor> grads;
  for (const Group& g : groups_) {
    for (const at::Tensor& p : g.params) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
  }
  return grads;
}

c10::IValue AdamwSgd::StateDict() const {
  c10::impl::GenericDict state(c10::IntType::get(), c10::AnyType::get());
  c10::impl::GenericList param_groups(c10::AnyType::get());
  int64_t index = 0;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const Group& g = groups_[gi];
    c10::impl::GenericList params(c10::IntType::get());
    for (size_t pi = 0; pi < g.params.size(); ++pi, ++index) {
      params.push_back(index);
      const ParamState& s = state_[gi][pi];
      if (s.step == 0) continue;
      c10::impl::GenericDict entry(c10::StringType::get(), c10::AnyType::get());
      entry.insert("step", s.step);
      if (s.exp_avg.defined()) {
        entry.insert("exp_avg", s.exp_avg.cpu().clone());
        entry.insert("exp_avg_sq", s.exp_avg_sq.cpu().clone());
      }
      if (s.momentum_buffer.defined()) entry.insert("momentum_buffer", s.momentum_buffer.cpu().clone());
      state.insert(index, entry);
    }
    c10::impl::GenericDict group(c10::StringType::get(), c10::AnyType::get());
    group.insert("optimizer", std::string(KindName(g.kind)));
    group.insert("name_regex", g.name_regex);
    group.insert("lr_mult", g.lr_mult);
    group.insert("weight_decay", g.weight_decay);
    group.insert("momentum", g.momentum);
    group.insert("betas", c10::ivalue::Tuple::create({g.beta1, g.beta2}));
    group.insert("eps", g.eps);
    group.insert("params", params);
    param_groups.push_back(group);
  }
  c10::impl::GenericDict out(c10::StringType::get(), c10::AnyType::get());
  out.insert("state", state);
  out.insert("param_groups", param_groups);
  out.insert("steps", steps_);
  return out;
}

absl::Status AdamwSgd::LoadStateDict(const c10::IValue& value) {
  if (!value.isGenericDict()) return absl::InvalidArgumentError("optimizer state is not a dict");
  const c10::impl::GenericDict dict = value.toGenericDict();
  if (!dict.contains("state") || !dict.contains("param_groups") || !dict.at("param_groups").isList() ||
      !dict.at("state").isGenericDict()) {
    return absl::InvalidArgumentError("optimizer state lacks 'state' / 'param_groups'");
  }
  const c10::List<c10::IValue> param_groups = dict.at("param_groups").toList();
  if (param_groups.size() != groups_.size()) {
    return absl::FailedPreconditionError(absl::StrCat("optimizer state has ", param_groups.size(),
                                                      " parameter groups, this run has ", groups_.size()));
  }
  int64_t index = 0;
  std::vector<std::vector<int64_t>> first_index(groups_.size());
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const c10::IValue& group = param_groups.get(gi);
    if (!group.isGenericDict() || !group.toGenericDict().contains("params")) {
      return absl::InvalidArgumentError(absl::StrCat("optimizer param_groups[", gi, "] is malformed"));
    }
    const size_t count = group.toGenericDict().at("params").toList().size();
    if (count != groups_[gi].params.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("optimizer group ", gi, " ('", groups_[gi].name_regex, "') holds ", count,
                       " parameters in the checkpoint and ", groups_[gi].params.size(), " in this run"));
    }
  }
  const c10::impl::GenericDict state = dict.at("state").toGenericDict();
  std::vector<std::vector<ParamState>> restored(groups_.size());
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const Group& g = groups_[gi];
    restored[gi].resize(g.params.size());
    for (size_t pi = 0; pi < g.params.size(); ++pi, ++index) {
      if (!state.contains(index)) continue;
      const c10::IValue& entry_value = state.at(index);
      if (!entry_value.isGenericDict()) {
        return absl::InvalidArgumentError(absl::StrCat("optimizer state[", index, "] is malformed"));
      }
      const c10::impl::GenericDict entry = entry_value.toGenericDict();
      ParamState& s = restored[gi][pi];
      s.step = entry.contains("step") ? entry.at("step").toInt() : 0;
      auto tensor = [&](const char* key, at::Tensor* out) -> absl::Status {
        if (!entry.contains(key)) return absl::OkStatus();
        const at::Tensor t = entry.at(key).toTensor();
        if (!t.sizes().equals(g.params[pi].sizes())) {
          return absl::FailedPreconditionError(absl::StrCat("optimizer state of ", g.names[pi], ".", key,
                                                            " has shape ", c10::str(t.sizes()), ", parameter has ",
                                                            c10::str(g.params[pi].sizes())));
        }
        *out = t.to(g.params[pi].options()).clone();
        return absl::OkStatus();
      };
      if (absl::Status s1 = tensor("exp_avg", &s.exp_avg); !s1.ok()) return s1;
      if (absl::Status s2 = tensor("exp_avg_sq", &s.exp_avg_sq); !s2.ok()) return s2;
      if (absl::Status s3 = tensor("momentum_buffer", &s.momentum_buffer); !s3.ok()) return s3;
    }
  }
  state_ = std::move(restored);
  steps_ = dict.contains("steps") ? dict.at("steps").toInt() : 0;
  return absl::OkStatus();
}

}  // namespace soho::train
