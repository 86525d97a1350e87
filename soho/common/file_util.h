#pragma once
// File helpers that report failures as absl::Status naming the path, and write atomically
// (temporary file + rename) so an interrupted run never leaves a truncated file behind.
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soho {

absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` via `path.tmp.<pid>`, fsync(2) and rename(2), so that a crash
// at any instant leaves either the old file or the complete new one; creates parent folders.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

bool PathExists(const std::string& path);

// mkdir -p.
absl::Status CreateDirectories(const std::string& path);

// `path` itself when absolute, else `base_dir`/`path` (base_dir empty: unchanged).
std::string ResolvePath(const std::string& base_dir, const std::string& path);

}  // namespace soho
