#pragma once
// Bad-data accounting: samples skipped because their image or annotation entry was bad.
// Each distinct bad sample is logged once (a warning naming the file) and counted; when the
// count exceeds max_fraction of the dataset, Record() returns an error and the run stops.
// Thread-safe.
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

namespace soho::data {

// One skipped sample: its dataset index (or -1 for an annotation entry dropped at load)
// and why, with the file named (the Status message of the failure).
struct SkippedSample {
  int64_t index = -1;
  std::string reason;
};

class SkipTracker {
 public:
  // `dataset_size`: entries in the annotation, including any dropped as malformed.
  // `name` labels messages (e.g. the annotation file).
  SkipTracker(std::string name, int64_t dataset_size, double max_fraction);

  // Counts `skipped` (a sample already counted is not counted or logged again) and returns
  // an error naming the dataset, the counts, the limit and the latest reason when the
  // skipped fraction exceeds the limit.
  absl::Status Record(const std::vector<SkippedSample>& skipped);

  // Counts `count` annotation entries dropped when the dataset was read (each already
  // logged by the reader); the same limit applies.
  absl::Status RecordDroppedAtLoad(int64_t count, const std::string& reason);

  int64_t skipped() const;
  int64_t dataset_size() const { return dataset_size_; }

 private:
  absl::Status CheckLimitLocked(const std::string& latest) const;

  const std::string name_;
  const int64_t dataset_size_;
  const double max_fraction_;
  mutable std::mutex mutex_;
  absl::flat_hash_set<int64_t> seen_;
  int64_t dropped_at_load_ = 0;
};

}  // namespace soho::data
