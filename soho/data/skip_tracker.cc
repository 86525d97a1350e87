#include "soho/data/skip_tracker.h"

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"

namespace soho::data {

SkipTracker::SkipTracker(std::string name, int64_t dataset_size, double max_fraction)
    : name_(std::move(name)), dataset_size_(dataset_size), max_fraction_(max_fraction) {}

absl::Status SkipTracker::Record(const std::vector<SkippedSample>& skipped) {
  if (skipped.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const SkippedSample& s : skipped) {
    if (s.index >= 0 && !seen_.insert(s.index).second) continue;
    if (s.index < 0) ++dropped_at_load_;
    LOG(WARNING) << "skipping bad sample of " << name_ << ": " << s.reason;
  }
  return CheckLimitLocked(skipped.back().reason);
}

absl::Status SkipTracker::RecordDroppedAtLoad(int64_t count, const std::string& reason) {
  if (count == 0) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mutex_);
  dropped_at_load_ += count;
  return CheckLimitLocked(reason);
}

absl::Status SkipTracker::CheckLimitLocked(const std::string& latest) const {
  const int64_t count = static_cast<int64_t>(seen_.size()) + dropped_at_load_;
  if (count > max_fraction_ * static_cast<double>(dataset_size_)) {
    return absl::FailedPreconditionError(absl::StrCat(
        name_, ": ", count, " of ", dataset_size_, " samples skipped as bad data (",
        100.0 * count / std::max<int64_t>(dataset_size_, 1), "%), more than data.max_skipped_fraction = ",
        max_fraction_, "; latest: ", latest));
  }
  return absl::OkStatus();
}

int64_t SkipTracker::skipped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(seen_.size()) + dropped_at_load_;
}

}  // namespace soho::data
