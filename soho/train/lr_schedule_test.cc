#include "soho/train/lr_schedule.h"

#include <cmath>

#include "gtest/gtest.h"

namespace soho::train {
namespace {

// Config values are proto floats: compare to 1e-7 relative.
#define EXPECT_LR(actual, expected) EXPECT_NEAR(actual, expected, 1e-7 * (expected))

TEST(LrScheduleTest, StepWithMmcvLinearWarmup) {
  proto::ScheduleConfig config;
  config.set_policy(proto::ScheduleConfig::STEP);
  config.set_epochs(4);
  config.add_step_epochs(2);
  config.add_step_epochs(3);
  config.set_gamma(0.1);
  config.set_warmup_iters(10);
  config.set_warmup_ratio(0.25);
  const LrSchedule schedule(config, 1e-3, /*iters_per_epoch=*/5);
  EXPECT_EQ(schedule.total_iters(), 20);
  // Warm-up: 1e-3 * (1 - (1 - i/10) * 0.75).
  EXPECT_LR(schedule.LearningRate(0), 0.25e-3);
  EXPECT_LR(schedule.LearningRate(4), 1e-3 * (1 - 0.6 * 0.75));
  EXPECT_LR(schedule.LearningRate(9), 1e-3 * (1 - 0.1 * 0.75));
  EXPECT_LR(schedule.LearningRate(10), 1e-4);  // epoch 2: first step reached
  EXPECT_LR(schedule.LearningRate(14), 1e-4);
  EXPECT_LR(schedule.LearningRate(15), 1e-5);  // epoch 3
}

TEST(LrScheduleTest, CosineWithWarmupAndFloor) {
  proto::ScheduleConfig config;
  config.set_policy(proto::ScheduleConfig::COSINE);
  config.set_epochs(2);
  config.set_warmup_iters(4);
  config.set_warmup_ratio(0.5);
  config.set_min_lr_ratio(0.1);
  const LrSchedule schedule(config, 2.0, /*iters_per_epoch=*/10);
  // Regular: 2 * (0.1 + 0.9 * (1 + cos(pi * i / 20)) / 2).
  EXPECT_LR(schedule.LearningRate(0), 1.0);                                   // 2.0 x 0.5
  EXPECT_LR(schedule.LearningRate(2), 2 * (0.1 + 0.45 * (1 + std::cos(M_PI / 10))) * 0.75);
  EXPECT_LR(schedule.LearningRate(10), 2 * (0.1 + 0.45));                      // half way
  EXPECT_LR(schedule.LearningRate(20), 0.2);                                   // the floor
}

TEST(LrScheduleTest, MaxItersCapsTheRun) {
  proto::ScheduleConfig config;
  config.set_epochs(10);
  config.set_max_iters(7);
  EXPECT_EQ(LrSchedule(config, 1.0, 5).total_iters(), 7);
}

}  // namespace
}  // namespace soho::train
