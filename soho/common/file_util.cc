#include "soho/common/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace soho {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFileToString(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (", std::strerror(errno), ")"));
  }
  const auto too_large = [&] {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": larger than ", max_bytes, " bytes, the limit for this kind of file"));
  };
  // Regular files: one allocation of the known size. Devices and pipes have no size; read
  // them in chunks up to the cap.
  if (const uintmax_t size = fs::file_size(path, ec); !ec && fs::is_regular_file(path, ec)) {
    if (size > max_bytes) return too_large();
  }
  std::string contents;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof(chunk)) || in.gcount() > 0) {
    if (contents.size() + static_cast<uint64_t>(in.gcount()) > max_bytes) return too_large();
    contents.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return contents;
}

namespace {

// fsync(2) of an open path (a file, or a folder so that a rename in it is durable).
bool SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  const fs::path target(path);
  if (target.has_parent_path()) {
    if (absl::Status s = CreateDirectories(target.parent_path().string()); !s.ok()) return s;
  }
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(tmp, ": cannot create (", std::strerror(errno), ")"));
  }
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  // Data on disk before the rename: a crash right after it must not expose an empty file.
  const bool synced = written == contents.size() && ::fsync(fd) == 0;
  const std::string err = std::strerror(errno);
  ::close(fd);
  if (!synced) {
    std::remove(tmp.c_str());
    return absl::DataLossError(absl::StrCat(tmp, ": write failed (", err, "; disk full?)"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string rename_err = std::strerror(errno);
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat("rename ", tmp, " -> ", path, ": ", rename_err));
  }
  SyncPath(target.has_parent_path() ? target.parent_path().string() : ".", O_RDONLY | O_DIRECTORY);
  return absl::OkStatus();
}

bool PathExists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

absl::Status CreateDirectories(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create folder (", ec.message(), ")"));
  return absl::OkStatus();
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).string();
}

}  // namespace soho
