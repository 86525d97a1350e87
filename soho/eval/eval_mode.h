#pragma once
// Evaluating a model that may be in the middle of training: eval mode (dropout off,
// BatchNorm on running statistics, no dictionary update) for a scope, and the training flag
// it had restored afterwards, so the trainer's validation can call the evaluators directly.
#include <c10/core/Device.h>
#include <torch/nn/module.h>

namespace soho::eval {

class ScopedEvalMode {
 public:
  explicit ScopedEvalMode(torch::nn::Module& module) : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  // Module::train is virtual: ResNet keeps its frozen stages in eval when switched back.
  ~ScopedEvalMode() { module_.train(was_training_); }
  ScopedEvalMode(const ScopedEvalMode&) = delete;
  ScopedEvalMode& operator=(const ScopedEvalMode&) = delete;

 private:
  torch::nn::Module& module_;
  const bool was_training_;
};

// Where the module's parameters live (inputs are moved there); CPU for a module without any.
inline c10::Device DeviceOf(const torch::nn::Module& module) {
  const auto parameters = module.parameters();
  return parameters.empty() ? c10::Device(c10::kCPU) : parameters.front().device();
}

}  // namespace soho::eval
