#include "soho/model/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"

namespace soho::model {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100 << 20;  // the format's own limit

absl::StatusOr<at::ScalarType> DtypeOf(const std::string& name) {
  static const std::map<std::string, at::ScalarType> kDtypes = {
      {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16},
      {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
      {"U8", at::kByte},    {"BOOL", at::kBool}};
  auto it = kDtypes.find(name);
  if (it == kDtypes.end()) return absl::InvalidArgumentError(absl::StrCat("unsupported dtype '", name, "'"));
  return it->second;
}

uint64_t ReadLittleEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

bool LooksLikeSafetensors(absl::string_view bytes) {
  if (bytes.size() < 9) return false;
  const uint64_t n = ReadLittleEndian64(bytes.data());
  return n >= 2 && n <= kMaxHeaderBytes && bytes[8] == '{';
}

absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> ReadSafetensors(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  auto error = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a valid safetensors file: ", what));
  };
  if (bytes.size() < 8) return error("shorter than its 8-byte header length");
  const uint64_t header_size = ReadLittleEndian64(bytes.data());
  if (header_size > kMaxHeaderBytes || header_size > bytes.size() - 8) {
    return error(absl::StrCat("header length ", header_size, " exceeds the file (", bytes.size(), " bytes)"));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(header_size));
  } catch (const nlohmann::json::exception& e) {
    return error(absl::StrCat("header is not JSON (", e.what(), ")"));
  }
  if (!header.is_object()) return error("header is not a JSON object");
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = bytes.size() - data_start;

  struct Entry {
    uint64_t begin;
    std::string name;
    at::Tensor tensor;
  };
  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    try {
      auto dtype = DtypeOf(info.at("dtype").get<std::string>());
      if (!dtype.ok()) return error(absl::StrCat("tensor '", name, "': ", dtype.status().message()));
      const std::vector<int64_t> shape = info.at("shape").get<std::vector<int64_t>>();
      const std::vector<uint64_t> offsets = info.at("data_offsets").get<std::vector<uint64_t>>();
      int64_t numel = 1;
      for (int64_t d : shape) {
        if (d < 0) return error(absl::StrCat("tensor '", name, "' has a negative dimension"));
        numel *= d;
      }
      const uint64_t expected = static_cast<uint64_t>(numel) * c10::elementSize(*dtype);
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size ||
          offsets[1] - offsets[0] != expected) {
        return error(absl::StrCat("tensor '", name, "': data_offsets do not fit its shape and dtype, or the file"));
      }
      at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(*dtype));
      std::memcpy(tensor.data_ptr(), bytes.data() + data_start + offsets[0], expected);
      entries.push_back({offsets[0], name, std::move(tensor)});
    } catch (const nlohmann::json::exception& e) {
      return error(absl::StrCat("tensor '", name, "': malformed entry (", e.what(), ")"));
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (Entry& e : entries) tensors.emplace_back(std::move(e.name), std::move(e.tensor));
  return tensors;
}

}  // namespace soho::model
