#include "soho/train/precision.h"

#include <algorithm>

#include <ATen/autocast_mode.h>

namespace soho::train {

AutocastScope::AutocastScope(proto::RuntimeConfig::Precision precision, c10::Device device) {
  if (precision == proto::RuntimeConfig::FP32) return;
  const c10::ScalarType dtype = precision == proto::RuntimeConfig::FP16 ? at::kHalf : at::kBFloat16;
  active_ = true;
  cuda_ = device.is_cuda();
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(true);
  }
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // Leaving the outermost scope drops the cached low-precision weight copies, which are
  // stale once the optimizer steps.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
}

LossScaler::LossScaler(bool enabled, int64_t growth_interval)
    : enabled_(enabled), growth_interval_(growth_interval), scale_(enabled ? kMaxScale : 1.0) {}

void LossScaler::Update(bool found_inf) {
  if (!enabled_) return;
  if (found_inf) {
    scale_ = std::max(scale_ / 2.0, 1.0 / 65536.0);
    good_steps_ = 0;
  } else if (++good_steps_ >= growth_interval_) {
    scale_ = std::min(scale_ * 2.0, kMaxScale);
    good_steps_ = 0;
  }
}

}  // namespace soho::train
