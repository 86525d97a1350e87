#pragma once
// Typed field access for one JSON object, with errors that name the field and what was found
// ("field 'height': expected integer, got string"). Used to validate annotation entries.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace soho::data {

// Each reads object[key] into *out. Missing key or wrong type -> InvalidArgument naming `key`.
absl::Status GetField(const nlohmann::json& object, const char* key, std::string* out);
absl::Status GetField(const nlohmann::json& object, const char* key, int64_t* out);
absl::Status GetField(const nlohmann::json& object, const char* key, int* out);
absl::Status GetField(const nlohmann::json& object, const char* key, double* out);
absl::Status GetField(const nlohmann::json& object, const char* key, std::vector<std::string>* out);
absl::Status GetField(const nlohmann::json& object, const char* key, std::vector<int>* out);
absl::Status GetField(const nlohmann::json& object, const char* key, std::vector<double>* out);

// Like GetField, but a missing key leaves *out unchanged and is OK (a wrong type is not).
template <typename T>
absl::Status GetOptionalField(const nlohmann::json& object, const char* key, T* out) {
  if (!object.is_object() || !object.contains(key)) return absl::OkStatus();
  return GetField(object, key, out);
}

}  // namespace soho::data
