#pragma once
// Progress reporting for long loops: "label 1200/5000 (24.0%) 35.2 it/s ETA 1m48s".
#include <chrono>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace soho {

// Formats a duration in seconds as "1h02m", "3m05s" or "12.3s".
std::string FormatDuration(double seconds);

class ProgressMeter {
 public:
  // `total` <= 0 means unknown (no percentage or ETA). Logs at most every
  // `min_interval_seconds` unless Update() is called with force = true.
  ProgressMeter(std::string label, int64_t total, double min_interval_seconds = 5.0);

  // Marks `done` items complete (absolute count) and logs if due. `extra` is appended
  // (e.g. "loss 2.31 lr 1e-4").
  void Update(int64_t done, absl::string_view extra = "", bool force = false);

  // Logs the final line with the total time.
  void Finish(absl::string_view extra = "");

  // Items per second since construction (or since the first Update when Restart'ed).
  double Rate() const;
  // Seconds left at the current rate; negative when unknown.
  double EtaSeconds() const;
  double ElapsedSeconds() const;
  std::string StatusLine(absl::string_view extra) const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  int64_t total_;
  double min_interval_;
  int64_t done_ = 0;
  Clock::time_point start_;
  Clock::time_point last_log_;
};

}  // namespace soho
