#include "soho/common/stage_clock.h"

#include <torch/cuda.h>

namespace soho {

void StageClock::Synchronize() const {
  if (device_.is_cuda()) torch::cuda::synchronize(device_.has_index() ? device_.index() : -1);
}

void StageClock::Start() {
  Synchronize();
  stages_.clear();
  last_ = std::chrono::steady_clock::now();
}

void StageClock::Mark(const std::string& stage) {
  Synchronize();
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  for (auto& [name, total] : stages_) {
    if (name == stage) {
      total += seconds;
      return;
    }
  }
  stages_.emplace_back(stage, seconds);
}

double StageClock::total_seconds() const {
  double total = 0;
  for (const auto& [name, seconds] : stages_) total += seconds;
  return total;
}

}  // namespace soho
