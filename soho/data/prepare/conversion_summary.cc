#include "soho/data/prepare/conversion_summary.h"

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"

namespace soho::data {

void ConversionSummary::Count(std::string_view what, int64_t n) {
  for (auto& [name, count] : counts_) {
    if (name == what) {
      count += n;
      return;
    }
  }
  counts_.emplace_back(std::string(what), n);
}

void ConversionSummary::Skip(std::string_view reason, std::string_view detail) {
  const int64_t seen = ++skips_[std::string(reason)];
  if (seen <= warnings_per_reason_) {
    LOG(WARNING) << name_ << ": skipping " << detail << ": " << reason
                 << (seen == warnings_per_reason_ ? " (further ones are only counted)" : "");
  }
}

int64_t ConversionSummary::count(std::string_view what) const {
  for (const auto& [name, count] : counts_) {
    if (name == what) return count;
  }
  return 0;
}

int64_t ConversionSummary::skipped(std::string_view reason) const {
  const auto it = skips_.find(std::string(reason));
  return it == skips_.end() ? 0 : it->second;
}

int64_t ConversionSummary::total_skipped() const {
  int64_t total = 0;
  for (const auto& [reason, n] : skips_) total += n;
  return total;
}

std::string ConversionSummary::ToString() const {
  std::string text = absl::StrCat(name_, ":");
  for (size_t i = 0; i < counts_.size(); ++i) {
    absl::StrAppend(&text, i == 0 ? " " : ", ", counts_[i].second, " ", counts_[i].first);
  }
  if (skips_.empty()) return absl::StrCat(text, "; nothing skipped");
  absl::StrAppend(&text, "; skipped ", total_skipped(), ":");
  bool first = true;
  for (const auto& [reason, n] : skips_) {
    absl::StrAppend(&text, first ? " " : ", ", reason, " x", n);
    first = false;
  }
  return text;
}

}  // namespace soho::data
