#pragma once
// Wall-clock timing of a pipeline's stages on any device. CUDA work is asynchronous, so every
// mark first waits for the device (torch::cuda::synchronize): the time charged to a stage is
// the time its kernels really took, not the time to enqueue them. On the CPU a mark only
// reads the clock.
#include <c10/core/Device.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace soho {

class StageClock {
 public:
  explicit StageClock(c10::Device device) : device_(device) {}

  // Waits for the device and starts a new measurement (forgetting earlier stages).
  void Start();
  // Waits for the device and charges the time since the previous mark (or Start) to `stage`;
  // marks with the same name add up.
  void Mark(const std::string& stage);

  // Seconds per stage, in the order first marked.
  const std::vector<std::pair<std::string, double>>& stages() const { return stages_; }
  double total_seconds() const;

 private:
  void Synchronize() const;

  c10::Device device_;
  std::chrono::steady_clock::time_point last_;
  std::vector<std::pair<std::string, double>> stages_;
};

// Marks `stage` when `clock` is non-null: lets pipelines report their stages optionally.
inline void MarkStage(StageClock* clock, const std::string& stage) {
  if (clock != nullptr) clock->Mark(stage);
}

}  // namespace soho
