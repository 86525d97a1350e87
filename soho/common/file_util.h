#pragma once
// File helpers that report failures as absl::Status naming the path, and write atomically
// (temporary file + rename) so an interrupted run never leaves a truncated file behind.
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soho {

// Files larger than this are refused unless a reader passes its own cap: it bounds what
// one read can allocate (a mistaken path such as /dev/zero must not exhaust memory),
// while staying above the largest input the project reads (Visual Genome's 0.7 GB JSON,
// res101 checkpoints).
inline constexpr uint64_t kMaxReadBytes = uint64_t{4} << 30;

// The whole file. Errors name the path: missing, a directory, or more than `max_bytes`
// (also for devices and pipes, which are read only up to the cap).
absl::StatusOr<std::string> ReadFileToString(const std::string& path, uint64_t max_bytes = kMaxReadBytes);

// Writes `contents` to `path` via `path.tmp.<pid>`, fsync(2) and rename(2), so that a crash
// at any instant leaves either the old file or the complete new one; creates parent folders.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

bool PathExists(const std::string& path);

// mkdir -p.
absl::Status CreateDirectories(const std::string& path);

// `path` itself when absolute, else `base_dir`/`path` (base_dir empty: unchanged).
std::string ResolvePath(const std::string& base_dir, const std::string& path);

}  // namespace soho
