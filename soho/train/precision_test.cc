// Loss scaling (FP16's dynamic scale), autocast scopes, and gradient clipping.
#include "soho/train/precision.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>

#include "gtest/gtest.h"
#include "soho/train/grad_clip.h"

namespace soho::train {
namespace {

TEST(LossScalerTest, HalvesOnOverflowAndGrowsBackToItsCap) {
  LossScaler scaler(/*enabled=*/true, /*growth_interval=*/2);
  EXPECT_EQ(scaler.scale(), 128);  // the reference's max_loss_scale
  scaler.Update(/*found_inf=*/true);
  EXPECT_EQ(scaler.scale(), 64);
  scaler.Update(true);
  EXPECT_EQ(scaler.scale(), 32);
  scaler.Update(false);
  EXPECT_EQ(scaler.scale(), 32);  // one good step: not yet
  scaler.Update(false);
  EXPECT_EQ(scaler.scale(), 64);
  for (int i = 0; i < 10; ++i) scaler.Update(false);
  EXPECT_EQ(scaler.scale(), 128);  // never above the cap
}

TEST(LossScalerTest, DisabledScalerIsOne) {
  LossScaler scaler(/*enabled=*/false);
  scaler.Update(true);
  EXPECT_EQ(scaler.scale(), 1);
}

TEST(AutocastScopeTest, Bf16OnTheCpuInsideTheScopeOnly) {
  const at::Tensor a = at::randn({4, 4}), b = at::randn({4, 4});
  {
    AutocastScope scope(proto::RuntimeConfig::BF16, c10::Device(c10::kCPU));
    EXPECT_TRUE(at::autocast::is_cpu_enabled());
    EXPECT_EQ(at::mm(a, b).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
  EXPECT_EQ(at::mm(a, b).scalar_type(), at::kFloat);
  AutocastScope fp32(proto::RuntimeConfig::FP32, c10::Device(c10::kCPU));
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
}

TEST(GradClipTest, ScalesToTheMaxNormOnlyWhenAbove) {
  at::Tensor g1 = at::full({2}, 3.0), g2 = at::full({1}, 4.0);  // norm sqrt(9+9+16) = sqrt(34)
  EXPECT_NEAR(ClipGradNorm({g1, g2}, 100), std::sqrt(34.0), 1e-5);
  EXPECT_EQ(g1[0].item<float>(), 3.0f);  // below the limit: untouched
  EXPECT_NEAR(ClipGradNorm({g1, g2}, 1.0), std::sqrt(34.0), 1e-5);
  EXPECT_NEAR(at::cat({g1, g2}).norm().item<double>(), 1.0, 1e-5);
  at::Tensor bad = at::full({1}, std::numeric_limits<float>::infinity());
  EXPECT_FALSE(std::isfinite(ClipGradNorm({bad}, 1.0)));
}

}  // namespace
}  // namespace soho::train
