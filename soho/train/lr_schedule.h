#pragma once
// Learning rate as a function of the iteration, as mmcv's LrUpdater hooks compute it (the
// reference trains with them), with linear warm-up:
//   STEP:   lr * gamma^(number of step_epochs already reached), by epoch.
//   COSINE: lr * (min + (1 - min) * (1 + cos(pi * iter / total_iters)) / 2), by iteration.
//   warm-up (iter < warmup_iters): regular * (1 - (1 - iter / warmup_iters) * (1 - warmup_ratio)).
// "Iteration" counts batches (what mmcv's runner.iter counts), not optimizer steps.
#include <cstdint>

#include "soho/proto/config.pb.h"

namespace soho::train {

class LrSchedule {
 public:
  // `iters_per_epoch` > 0 batches per epoch; the run lasts schedule.epochs epochs (capped by
  // schedule.max_iters when set).
  LrSchedule(const proto::ScheduleConfig& schedule, double base_lr, int64_t iters_per_epoch);

  // The learning rate for global iteration `iter` (0-based).
  double LearningRate(int64_t iter) const;
  int64_t total_iters() const { return total_iters_; }

 private:
  double Regular(int64_t iter) const;

  proto::ScheduleConfig schedule_;
  double base_lr_;
  int64_t iters_per_epoch_;
  int64_t total_iters_;
};

}  // namespace soho::train
