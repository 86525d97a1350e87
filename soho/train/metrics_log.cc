#include "soho/train/metrics_log.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"

namespace soho::train {

absl::StatusOr<std::unique_ptr<MetricsLog>> MetricsLog::Create(const std::string& work_dir) {
  SOHO_RETURN_IF_ERROR(CreateDirectories(work_dir));
  const std::string path = (std::filesystem::path(work_dir) / "metrics.jsonl").string();
  // Appended to: a resumed run continues the same log.
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open (", std::strerror(errno), ")"));
  }
  auto events = EventWriter::Create((std::filesystem::path(work_dir) / "tf_logs").string());
  if (!events.ok()) {
    std::fclose(file);
    return events.status();
  }
  return std::unique_ptr<MetricsLog>(new MetricsLog(path, file, std::move(*events)));
}

MetricsLog::~MetricsLog() { std::fclose(jsonl_); }

absl::Status MetricsLog::Write(const std::string& mode, int64_t epoch, int64_t iteration,
                               const std::map<std::string, double>& values) {
  nlohmann::ordered_json line;
  line["mode"] = mode;
  line["epoch"] = epoch;
  line["iter"] = iteration;
  std::map<std::string, double> tagged;
  for (const auto& [name, value] : values) {
    // JSON has no NaN/Inf: write null (the value is still in the event file).
    line[name] = std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
    tagged[absl::StrCat(mode, "/", name)] = value;
  }
  const std::string text = line.dump() + "\n";
  if (std::fwrite(text.data(), 1, text.size(), jsonl_) != text.size() || std::fflush(jsonl_) != 0) {
    return absl::DataLossError(absl::StrCat(jsonl_path_, ": write failed (", std::strerror(errno), ")"));
  }
  return events_->AddScalars(iteration, tagged);
}

}  // namespace soho::train
