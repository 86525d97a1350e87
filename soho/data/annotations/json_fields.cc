#include "soho/data/annotations/json_fields.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "soho/data/annotations/json_file.h"

namespace soho::data {
namespace {

using nlohmann::json;

// Finds object[key]; errors when `object` is not an object or lacks `key`.
absl::Status Find(const json& object, const char* key, const json** value) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an object, got ", JsonTypeName(object)));
  }
  const auto it = object.find(key);
  if (it == object.end()) return absl::InvalidArgumentError(absl::StrCat("missing field '", key, "'"));
  *value = &*it;
  return absl::OkStatus();
}

absl::Status TypeError(const char* key, const char* expected, const json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("field '", key, "': expected ", expected, ", got ", JsonTypeName(got)));
}

bool IsInt(const json& v) { return v.is_number_integer(); }

template <typename T, typename Check, typename Convert>
absl::Status GetList(const json& object, const char* key, const char* expected, Check check,
                     Convert convert, std::vector<T>* out) {
  const json* value = nullptr;
  if (absl::Status s = Find(object, key, &value); !s.ok()) return s;
  if (!value->is_array()) return TypeError(key, expected, *value);
  std::vector<T> result;
  result.reserve(value->size());
  for (size_t i = 0; i < value->size(); ++i) {
    const json& element = (*value)[i];
    if (!check(element)) {
      return absl::InvalidArgumentError(absl::StrCat("field '", key, "'[", i, "]: expected ",
                                                     expected, ", got ", JsonTypeName(element)));
    }
    result.push_back(convert(element));
  }
  *out = std::move(result);
  return absl::OkStatus();
}

}  // namespace

absl::Status GetField(const json& object, const char* key, std::string* out) {
  const json* value = nullptr;
  if (absl::Status s = Find(object, key, &value); !s.ok()) return s;
  if (!value->is_string()) return TypeError(key, "string", *value);
  *out = value->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetField(const json& object, const char* key, int64_t* out) {
  const json* value = nullptr;
  if (absl::Status s = Find(object, key, &value); !s.ok()) return s;
  if (!IsInt(*value)) return TypeError(key, "integer", *value);
  *out = value->get<int64_t>();
  return absl::OkStatus();
}

absl::Status GetField(const json& object, const char* key, int* out) {
  int64_t wide = 0;
  if (absl::Status s = GetField(object, key, &wide); !s.ok()) return s;
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("field '", key, "': ", wide, " is out of range"));
  }
  *out = static_cast<int>(wide);
  return absl::OkStatus();
}

absl::Status GetField(const json& object, const char* key, double* out) {
  const json* value = nullptr;
  if (absl::Status s = Find(object, key, &value); !s.ok()) return s;
  if (!value->is_number()) return TypeError(key, "number", *value);
  *out = value->get<double>();
  return absl::OkStatus();
}

absl::Status GetField(const json& object, const char* key, std::vector<std::string>* out) {
  return GetList<std::string>(
      object, key, "list of strings", [](const json& v) { return v.is_string(); },
      [](const json& v) { return v.get<std::string>(); }, out);
}

absl::Status GetField(const json& object, const char* key, std::vector<int>* out) {
  return GetList<int>(
      object, key, "list of integers",
      [](const json& v) {
        return IsInt(v) && v.get<int64_t>() >= std::numeric_limits<int>::min() &&
               v.get<int64_t>() <= std::numeric_limits<int>::max();
      },
      [](const json& v) { return v.get<int>(); }, out);
}

absl::Status GetField(const json& object, const char* key, std::vector<double>* out) {
  return GetList<double>(
      object, key, "list of numbers", [](const json& v) { return v.is_number(); },
      [](const json& v) { return v.get<double>(); }, out);
}

}  // namespace soho::data
