#pragma once
// TensorBoard event files (events.out.tfevents.<time>.<host>): TFRecord framing
//   uint64 length | uint32 masked_crc32c(length) | Event bytes | uint32 masked_crc32c(bytes)
// of soho.tensorboard.Event protos, one scalar summary per logged value, readable by
// `tensorboard --logdir work_dirs/`.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace soho::train {

class EventWriter {
 public:
  // Creates `dir` if needed and a new event file in it (with its file_version record).
  static absl::StatusOr<std::unique_ptr<EventWriter>> Create(const std::string& dir);
  ~EventWriter();

  // One event at `step` holding a scalar per entry (tag -> value); flushed, so that a
  // running TensorBoard sees it and a crash loses nothing already logged.
  absl::Status AddScalars(int64_t step, const std::map<std::string, double>& scalars);
  const std::string& path() const { return path_; }

 private:
  EventWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  absl::Status WriteRecord(const std::string& event_bytes);

  std::string path_;
  std::FILE* file_;
};

}  // namespace soho::train
