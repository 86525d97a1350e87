#include "soho/train/event_writer.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "soho/common/crc32c.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"
#include "soho/train/tensorboard_event.pb.h"

namespace soho::train {
namespace {

double WallTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void AppendLittleEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventWriter>> EventWriter::Create(const std::string& dir) {
  SOHO_RETURN_IF_ERROR(CreateDirectories(dir));
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  const std::string path =
      (std::filesystem::path(dir) /
       absl::StrCat("events.out.tfevents.", static_cast<int64_t>(WallTime()), ".", host, ".", ::getpid()))
          .string();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create (", std::strerror(errno), ")"));
  }
  std::unique_ptr<EventWriter> writer(new EventWriter(path, file));
  tensorboard::Event version;
  version.set_wall_time(WallTime());
  version.set_file_version("brain.Event:2");
  SOHO_RETURN_IF_ERROR(writer->WriteRecord(version.SerializeAsString()));
  return writer;
}

EventWriter::~EventWriter() { std::fclose(file_); }

absl::Status EventWriter::AddScalars(int64_t step, const std::map<std::string, double>& scalars) {
  tensorboard::Event event;
  event.set_wall_time(WallTime());
  event.set_step(step);
  for (const auto& [tag, value] : scalars) {
    tensorboard::Summary::Value* v = event.mutable_summary()->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  return WriteRecord(event.SerializeAsString());
}

absl::Status EventWriter::WriteRecord(const std::string& event_bytes) {
  std::string header;
  AppendLittleEndian(&header, event_bytes.size(), 8);
  std::string record = header;
  AppendLittleEndian(&record, MaskedCrc32c(header), 4);
  record += event_bytes;
  AppendLittleEndian(&record, MaskedCrc32c(event_bytes), 4);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0) {
    return absl::DataLossError(absl::StrCat(path_, ": write failed (", std::strerror(errno), ")"));
  }
  return absl::OkStatus();
}

}  // namespace soho::train
