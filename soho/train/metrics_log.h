#pragma once
// Where a run's numbers go, besides the console: work_dir/metrics.jsonl (one JSON object
// per logged step, "mode" train or val) and TensorBoard event files in work_dir/tf_logs/
// (scalars tagged "train/loss", "val/acc_l", ...).
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/train/event_writer.h"

namespace soho::train {

class MetricsLog {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsLog>> Create(const std::string& work_dir);
  ~MetricsLog();

  // Appends {"mode": mode, "epoch": epoch, "iter": iteration, name: value...} and the
  // scalars as "<mode>/<name>" at step `iteration`.
  absl::Status Write(const std::string& mode, int64_t epoch, int64_t iteration,
                     const std::map<std::string, double>& values);

 private:
  MetricsLog(std::string jsonl_path, std::FILE* jsonl, std::unique_ptr<EventWriter> events)
      : jsonl_path_(std::move(jsonl_path)), jsonl_(jsonl), events_(std::move(events)) {}

  std::string jsonl_path_;
  std::FILE* jsonl_;
  std::unique_ptr<EventWriter> events_;
};

}  // namespace soho::train
