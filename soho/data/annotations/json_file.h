#pragma once
// Reading and writing JSON files with errors a user can act on: a malformed file names the
// path and the line/column (and byte offset) where parsing stopped.
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace soho::data {

// Parses `path` as JSON. Errors: NotFound for a missing file, InvalidArgument
// "<path>:<line>:<column> (byte <offset>): malformed JSON: <why>" for a syntax error.
absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path);

// Parses `text` (read from `path`, which only names it in errors).
absl::StatusOr<nlohmann::json> ParseJson(const std::string& text, const std::string& path);

// Serializes compactly (one line; large files stay small) and writes via WriteFileAtomically.
absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& value);

// "object", "array", "string", "integer", "number", "boolean", "null": for error messages.
std::string JsonTypeName(const nlohmann::json& value);

// The list at `root[key]` of a file's top-level object; errors name `path` and `key`
// ("<path>: field 'images': expected list, got object").
absl::StatusOr<const nlohmann::json*> RequireListField(const nlohmann::json& root, const char* key,
                                                       const std::string& path);

// `root` itself when it is a list; otherwise an error naming `path`.
absl::Status RequireList(const nlohmann::json& root, const std::string& path);

}  // namespace soho::data
