#include "soho/data/prepare/conversion_summary.h"

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"

namespace soho::data {

void ConversionSummary::Count(absl::string_view what, int64_t n) {
  for (auto& [name, count] : counts_) {
    if (name == what) {
      count += n;
      return;
    }
  }
  counts_.emplace_back(std::string(what), n);
}

void ConversionSummary::Skip(absl::string_view reason, absl::string_view detail) {
  const int64_t seen = ++skips_[std::string(reason)];
  if (seen <= warnings_per_reason_) {
    LOG(WARNING) << name_ << ": skipping " << detail << ": " << reason
                 << (seen == warnings_per_reason_ ? " (further ones are only counted)" : "");
  }
}

bool ConversionSummary::KeepText(absl::string_view text, absl::string_view what, absl::string_view detail) {
  if (text.empty()) {
    Skip(absl::StrCat("empty ", what), detail);
    return false;
  }
  if (text.size() > kMaxTextBytes) {
    Skip(absl::StrCat(what, " longer than ", kMaxTextBytes, " bytes"), absl::StrCat(detail, " (", text.size(), " bytes)"));
    return false;
  }
  return true;
}

bool ConversionSummary::KeepImageSize(int64_t height, int64_t width, absl::string_view detail) {
  if (height >= 1 && height <= kMaxImageSide && width >= 1 && width <= kMaxImageSide) return true;
  Skip(absl::StrCat("image size outside [1, ", kMaxImageSide, "]"), absl::StrCat(detail, " (", height, "x", width, ")"));
  return false;
}

absl::Status ConversionSummary::CheckUsable(absl::string_view kept, double max_skipped_fraction) const {
  const int64_t good = count(kept);
  const int64_t bad = total_skipped();
  if (good == 0) {
    return absl::InvalidArgumentError(absl::StrCat("no usable ", kept, " (", ToString(), ")"));
  }
  const double fraction = static_cast<double>(bad) / static_cast<double>(good + bad);
  if (fraction > max_skipped_fraction) {
    return absl::InvalidArgumentError(absl::StrCat(
        "skipped ", bad, " of ", good + bad, " items, more than --max_skipped_fraction=", max_skipped_fraction,
        " (", ToString(), ")"));
  }
  return absl::OkStatus();
}

int64_t ConversionSummary::count(absl::string_view what) const {
  for (const auto& [name, count] : counts_) {
    if (name == what) return count;
  }
  return 0;
}

int64_t ConversionSummary::skipped(absl::string_view reason) const {
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
