#include "soho/losses/losses.h"

#include <cmath>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace soho::losses {
namespace {

double Value(const at::Tensor& t) { return t.item<double>(); }

TEST(MaskedCrossEntropyTest, SumOverCountedPositionsDividedByCount) {
  // Row 0: logits (0, 0) label 1 -> log 2. Row 1: ignored. Row 2: (ln 3, 0) label 0 ->
  // -log(3/4) = log(4/3).
  const at::Tensor logits = at::tensor({0.0, 0.0, 5.0, -5.0, std::log(3.0), 0.0}, at::kDouble).view({3, 2});
  const at::Tensor labels = at::tensor({int64_t{1}, kIgnoreIndex, int64_t{0}}, at::kLong);
  const double expected = (std::log(2.0) + std::log(4.0 / 3.0)) / (2 + 1e-6);
  EXPECT_NEAR(Value(MaskedCrossEntropy(logits, labels)), expected, 1e-12);
}

TEST(MaskedCrossEntropyTest, NothingCountedGivesZeroAndZeroGradient) {
  const at::Tensor logits = at::randn({4, 3}, at::kDouble).requires_grad_();
  const at::Tensor loss = MaskedCrossEntropy(logits, at::full({4}, kIgnoreIndex, at::kLong));
  EXPECT_EQ(Value(loss), 0);
  loss.backward();
  EXPECT_EQ(Value(logits.grad().abs().sum()), 0);
}

TEST(MaskedAccuracyTest, PercentOverCountedPositions) {
  const at::Tensor logits = at::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 1.f}).view({4, 2});
  // predictions 0, 1, 0, 1; labels 0 (right), 0 (wrong), ignored, 1 (right).
  const at::Tensor labels = at::tensor({int64_t{0}, int64_t{0}, kIgnoreIndex, int64_t{1}}, at::kLong);
  EXPECT_NEAR(Value(MaskedAccuracy(logits, labels)), 200.0 / 3, 1e-4);
  EXPECT_EQ(Value(MaskedAccuracy(logits, at::full({4}, kIgnoreIndex, at::kLong))), 0);
}

TEST(VqaLossTest, BceTimesNumberOfAnswers) {
  const at::Tensor logits = at::tensor({0.0, 2.0, -1.0, 0.5}, at::kDouble).view({2, 2});
  const at::Tensor targets = at::tensor({1.0, 0.3, 0.0, 0.6}, at::kDouble).view({2, 2});
  auto bce = [](double x, double y) {
    const double p = 1 / (1 + std::exp(-x));
    return -(y * std::log(p) + (1 - y) * std::log(1 - p));
  };
  const double mean = (bce(0, 1) + bce(2, 0.3) + bce(-1, 0) + bce(0.5, 0.6)) / 4;
  EXPECT_NEAR(Value(VqaBceLoss(logits, targets)), mean * 2, 1e-12);
}

TEST(VqaLossTest, SoftScoreOfTheArgMaxAnswer) {
  const at::Tensor logits = at::tensor({0.1f, 3.f, 0.2f, 5.f, 1.f, 0.f}).view({2, 3});
  const at::Tensor targets = at::tensor({0.f, 0.6f, 1.f, 0.3f, 1.f, 0.f}).view({2, 3});
  EXPECT_TRUE(at::allclose(VqaSoftScore(logits, targets), at::tensor({0.6f, 0.3f})));
}

}  // namespace
}  // namespace soho::losses
