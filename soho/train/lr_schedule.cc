#include "soho/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace soho::train {

LrSchedule::LrSchedule(const proto::ScheduleConfig& schedule, double base_lr, int64_t iters_per_epoch)
    : schedule_(schedule),
      base_lr_(base_lr),
      iters_per_epoch_(std::max<int64_t>(iters_per_epoch, 1)),
      total_iters_(static_cast<int64_t>(schedule.epochs()) * iters_per_epoch_) {
  if (schedule.max_iters() > 0) total_iters_ = std::min(total_iters_, schedule.max_iters());
}

double LrSchedule::Regular(int64_t iter) const {
  if (schedule_.policy() == proto::ScheduleConfig::COSINE) {
    const double progress = std::min(1.0, static_cast<double>(iter) / static_cast<double>(std::max<int64_t>(total_iters_, 1)));
    const double min_ratio = schedule_.min_lr_ratio();
    return base_lr_ * (min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + std::cos(M_PI * progress)));
  }
  const int64_t epoch = iter / iters_per_epoch_;
  int reached = 0;
  for (int step : schedule_.step_epochs()) reached += epoch >= step ? 1 : 0;
  return base_lr_ * std::pow(static_cast<double>(schedule_.gamma()), reached);
}

double LrSchedule::LearningRate(int64_t iter) const {
  const double regular = Regular(iter);
  const int64_t warmup = schedule_.warmup_iters();
  if (iter >= warmup) return regular;
  const double k = (1.0 - static_cast<double>(iter) / static_cast<double>(warmup)) * (1.0 - schedule_.warmup_ratio());
  return regular * (1.0 - k);
}

}  // namespace soho::train
