#pragma once
// Mixed precision for a training step (runtime.precision):
//   BF16: the forward pass runs under autocast to bfloat16, on the CPU and on CUDA.
//   FP16: autocast to float16 (CUDA only; the config refuses it on a CPU) with dynamic loss
//         scaling: the loss is multiplied by the scale before backward, gradients divided
//         by it after; a step whose gradients overflow is skipped and the scale halved,
//         and it doubles again after `growth_interval` good steps, never above its start
//         (128, the reference's max_loss_scale).
#include <cstdint>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "soho/proto/config.pb.h"

namespace soho::train {

// Autocast on for its lifetime (nothing for FP32); restores the previous settings.
class AutocastScope {
 public:
  AutocastScope(proto::RuntimeConfig::Precision precision, c10::Device device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Undefined;
};

class LossScaler {
 public:
  static constexpr double kMaxScale = 128.0;

  // Disabled: scale 1 and never changes.
  explicit LossScaler(bool enabled, int64_t growth_interval = 1000);

  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }
  void set_scale(double scale) { scale_ = scale; }

  // After a step: halve on overflow (found_inf), grow after growth_interval good steps.
  void Update(bool found_inf);

 private:
  bool enabled_;
  int64_t growth_interval_;
  double scale_;
  int64_t good_steps_ = 0;
};

}  // namespace soho::train
