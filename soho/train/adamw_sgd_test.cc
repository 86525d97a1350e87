// AdamwSGD against an independent Python transcription of the reference's arithmetic (run
// by Debian's PyTorch), over several steps with random gradients, a frozen parameter and a
// parameter that misses a step; and its state_dict round trip.
#include "soho/train/adamw_sgd.h"

#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "soho/model/python_reference.h"

namespace soho::train {
namespace {

using model::testing::RunPython;
using model::testing::TensorMap;

constexpr int kSteps = 5;
const std::vector<std::string> kNames = {"backbone.conv1.weight", "backbone.bn1.bias", "language.dense.weight",
                                         "head.bias"};
const std::vector<double> kLrs = {1e-3, 2e-3, 5e-4, 1e-3, 3e-3};

proto::OptimizerConfig Config() {
  proto::OptimizerConfig config;
  config.set_weight_decay(0.01);
  config.set_beta1(0.9);
  config.set_beta2(0.999);
  config.set_eps(1e-6);
  proto::ParamGroup* sgd = config.add_groups();
  sgd->set_name_regex("^backbone\\.");
  sgd->set_optimizer(proto::ParamGroup::SGD);
  sgd->set_lr_mult(10);
  sgd->set_weight_decay(1e-4);
  sgd->set_momentum(0.9);
  return config;
}

struct Fixture {
  torch::OrderedDict<std::string, at::Tensor> params;
  TensorMap inputs;  // initial values and every step's gradients, for Python
};

Fixture MakeFixture() {
  at::manual_seed(3);
  Fixture f;
  const std::vector<std::vector<int64_t>> shapes = {{4, 3}, {4}, {5, 2}, {3}};
  for (size_t i = 0; i < kNames.size(); ++i) {
    at::Tensor p = at::randn(shapes[i]).set_requires_grad(true);
    f.params.insert(kNames[i], p);
    f.inputs["p" + std::to_string(i)] = p.detach().clone();
    for (int s = 0; s < kSteps; ++s) f.inputs["g" + std::to_string(i) + "_" + std::to_string(s)] = at::randn(shapes[i]);
  }
  at::Tensor frozen = at::randn({2});
  f.params.insert("backbone.frozen", frozen);  // requires_grad false: in no group
  return f;
}

// Parameter 2 ("language.dense.weight") has no gradient at step 2: it is skipped there.
bool HasGrad(size_t param, int step) { return !(param == 2 && step == 2); }

void RunSteps(AdamwSgd& optimizer, Fixture& f, int from, int to) {
  for (int s = from; s < to; ++s) {
    for (size_t i = 0; i < kNames.size(); ++i) {
      at::Tensor p = f.params[kNames[i]];
      if (HasGrad(i, s)) p.mutable_grad() = f.inputs["g" + std::to_string(i) + "_" + std::to_string(s)].clone();
    }
    optimizer.Step(kLrs[s]);
    optimizer.ZeroGrad();
  }
}

constexpr char kTranscription[] = R"(
lrs = [1e-3, 2e-3, 5e-4, 1e-3, 3e-3]
sgd = {0, 1}  # backbone.*
state = {}
for i in range(4):
    p = inputs["p%d" % i].double().clone()
    st = {"step": 0}
    for s in range(5):
        if i == 2 and s == 2:
            continue
        g = inputs["g%d_%d" % (i, s)].double()
        st["step"] += 1
        if i in sgd:
            lr = lrs[s] * 10
            d = g + 1e-4 * p
            if "buf" not in st:
                st["buf"] = d.clone()
            else:
                st["buf"] = 0.9 * st["buf"] + d
            p = p - lr * st["buf"]
        else:
            lr = lrs[s]
            if "m" not in st:
                st["m"] = torch.zeros_like(p)
                st["v"] = torch.zeros_like(p)
            st["m"] = 0.9 * st["m"] + 0.1 * g
            st["v"] = 0.999 * st["v"] + 0.001 * g * g
            denom = st["v"].sqrt() + 1e-6
            t = st["step"]
            step_size = lr * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            p = p - step_size * st["m"] / denom
            p = p - lr * 0.01 * p
    outputs["p%d" % i] = p.float()
)";

TEST(AdamwSgdTest, GroupsByFirstMatchingRegexAndSkipsFrozen) {
  Fixture f = MakeFixture();
  auto optimizer = AdamwSgd::Create(f.params, Config());
  ASSERT_TRUE(optimizer.ok()) << optimizer.status();
  ASSERT_EQ(optimizer->groups().size(), 2u);
  EXPECT_EQ(optimizer->groups()[0].kind, AdamwSgd::Kind::kSgd);
  EXPECT_EQ(optimizer->groups()[0].names, (std::vector<std::string>{"backbone.conv1.weight", "backbone.bn1.bias"}));
  EXPECT_EQ(optimizer->groups()[1].kind, AdamwSgd::Kind::kAdamW);
  EXPECT_EQ(optimizer->groups()[1].names, (std::vector<std::string>{"language.dense.weight", "head.bias"}));
  EXPECT_FLOAT_EQ(optimizer->groups()[1].weight_decay, 0.01f);
}

TEST(AdamwSgdTest, MatchesPythonTranscriptionOfTheReference) {
  Fixture f = MakeFixture();
  auto optimizer = AdamwSgd::Create(f.params, Config());
  ASSERT_TRUE(optimizer.ok()) << optimizer.status();
  RunSteps(*optimizer, f, 0, kSteps);
  const TensorMap expected = RunPython(kTranscription, f.inputs);
  for (size_t i = 0; i < kNames.size(); ++i) {
    const at::Tensor got = f.params[kNames[i]].detach();
    EXPECT_LE((got - expected.at("p" + std::to_string(i))).abs().max().item<double>(), 1e-6) << kNames[i];
    EXPECT_FALSE(got.equal(f.inputs["p" + std::to_string(i)])) << kNames[i] << " never moved";
  }
}

TEST(AdamwSgdTest, StateDictRoundTripContinuesIdentically) {
  Fixture a = MakeFixture();
  auto first = AdamwSgd::Create(a.params, Config());
  ASSERT_TRUE(first.ok());
  RunSteps(*first, a, 0, 3);
  Fixture b = MakeFixture();
  for (const auto& name : kNames) b.params[name].detach().copy_(a.params[name].detach());
  auto second = AdamwSgd::Create(b.params, Config());
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->LoadStateDict(first->StateDict()).ok());
  EXPECT_EQ(second->steps(), 3);
  RunSteps(*first, a, 3, kSteps);
  RunSteps(*second, b, 3, kSteps);
  for (const auto& name : kNames) EXPECT_TRUE(a.params[name].equal(b.params[name])) << name;
}

TEST(AdamwSgdTest, RefusesStateOfOtherParameters) {
  Fixture f = MakeFixture();
  auto optimizer = AdamwSgd::Create(f.params, Config());
  ASSERT_TRUE(optimizer.ok());
  RunSteps(*optimizer, f, 0, 1);
  proto::OptimizerConfig no_groups = Config();
  no_groups.clear_groups();
  auto other = AdamwSgd::Create(f.params, no_groups);
  ASSERT_TRUE(other.ok());
  const absl::Status status = other->LoadStateDict(optimizer->StateDict());
  EXPECT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("parameter groups"), std::string::npos) << status;
  EXPECT_FALSE(other->LoadStateDict(c10::IValue(int64_t{3})).ok());
}

TEST(AdamwSgdTest, InvalidRegexNamesTheField) {
  proto::OptimizerConfig config = Config();
  config.mutable_groups(0)->set_name_regex("([");
  Fixture f = MakeFixture();
  auto optimizer = AdamwSgd::Create(f.params, config);
  ASSERT_FALSE(optimizer.ok());
  EXPECT_NE(std::string(optimizer.status().message()).find("optimizer.groups[0].name_regex"), std::string::npos);
}

}  // namespace
}  // namespace soho::train
