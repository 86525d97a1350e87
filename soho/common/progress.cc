#include "soho/common/progress.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "soho/common/logging.h"

namespace soho {

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "?";
  if (seconds < 60) return absl::StrFormat("%.1fs", seconds);
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

ProgressMeter::ProgressMeter(std::string label, int64_t total, double min_interval_seconds)
    : label_(std::move(label)),
      total_(total),
      min_interval_(min_interval_seconds),
      start_(Clock::now()),
      last_log_(start_) {}

double ProgressMeter::ElapsedSeconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

double ProgressMeter::Rate() const {
  const double elapsed = ElapsedSeconds();
  return elapsed > 0 ? done_ / elapsed : 0.0;
}

double ProgressMeter::EtaSeconds() const {
  const double rate = Rate();
  if (total_ <= 0 || rate <= 0) return -1;
  return (total_ - done_) / rate;
}

std::string ProgressMeter::StatusLine(absl::string_view extra) const {
  std::string line = total_ > 0 ? absl::StrFormat("%s %d/%d (%.1f%%)", label_, done_, total_,
                                                  100.0 * done_ / total_)
                                : absl::StrFormat("%s %d", label_, done_);
  absl::StrAppendFormat(&line, " %.2f it/s", Rate());
  if (total_ > 0) absl::StrAppend(&line, " ETA ", FormatDuration(EtaSeconds()));
  if (!extra.empty()) absl::StrAppend(&line, " ", extra);
  return line;
}

void ProgressMeter::Update(int64_t done, absl::string_view extra, bool force) {
  done_ = done;
  const auto now = Clock::now();
  if (!force && std::chrono::duration<double>(now - last_log_).count() < min_interval_) return;
  last_log_ = now;
  LOG(INFO) << StatusLine(extra);
}

void ProgressMeter::Finish(absl::string_view extra) {
  LOG(INFO) << absl::StrFormat("%s done: %d in %s", label_, done_, FormatDuration(ElapsedSeconds()))
            << (extra.empty() ? "" : " ") << extra;
}

}  // namespace soho
