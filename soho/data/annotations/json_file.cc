#include "soho/data/annotations/json_file.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"

namespace soho::data {

absl::StatusOr<nlohmann::json> ParseJson(const std::string& text, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    const size_t offset = e.byte == 0 ? 0 : std::min<size_t>(e.byte - 1, text.size());
    const size_t line = 1 + std::count(text.begin(), text.begin() + offset, '\n');
    const size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    const size_t column =
        offset - (line_start == std::string::npos || offset == 0 ? 0 : line_start + 1) + 1;
    std::string why = e.what();
    // nlohmann's message repeats the position ("[json.exception.parse_error.101] parse error at
    // line 1, column 5: ..."); keep only the explanation after the last ": ".
    if (const size_t colon = why.find(": "); colon != std::string::npos) why = why.substr(colon + 2);
    return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ":", column, " (byte ", offset,
                                                   "): malformed JSON: ", why));
  }
}

absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  return ParseJson(text, path);
}

absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& value) {
  std::string text;
  try {
    text = value.dump();
  } catch (const nlohmann::json::type_error& e) {  // invalid UTF-8 in a string
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot serialize: ", e.what()));
  }
  text.push_back('\n');
  return WriteFileAtomically(path, text);
}

std::string JsonTypeName(const nlohmann::json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  return value.type_name();
}

absl::StatusOr<const nlohmann::json*> RequireListField(const nlohmann::json& root, const char* key,
                                                       const std::string& path) {
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON object, got ", JsonTypeName(root)));
  }
  if (!root.contains(key)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": missing field '", key, "'"));
  }
  const nlohmann::json& list = root[key];
  if (!list.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": field '", key, "': expected list, got ", JsonTypeName(list)));
  }
  return &list;
}

absl::Status RequireList(const nlohmann::json& root, const std::string& path) {
  if (root.is_array()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON list, got ", JsonTypeName(root)));
}

}  // namespace soho::data
