#pragma once
// Counts and skip reasons of one `prepare` conversion, for the summary it prints at the end:
//   "coco: 3 images, 15 captions; skipped 2: caption of an unknown image x1, empty caption x1"
// Each skipped item is also logged as a warning (the first few per reason, then counted only).
#include <cstdint>
#include <map>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace soho::data {

// Longest caption or question a converter keeps, in bytes: COCO's longest caption is about
// 1 KB; much longer text is a broken export, and tokenizing it costs time for nothing.
inline constexpr size_t kMaxTextBytes = 4096;
// Largest image side (pixels) a converter accepts as a recorded size.
inline constexpr int kMaxImageSide = 1 << 16;

class ConversionSummary {
 public:
  explicit ConversionSummary(std::string name, int warnings_per_reason = 10)
      : name_(std::move(name)), warnings_per_reason_(warnings_per_reason) {}

  // Adds `n` to the counter `what` ("images", "captions"); counters print in first-use order.
  void Count(absl::string_view what, int64_t n = 1);
  // Records one skipped item: `reason` groups it in the summary, `detail` names the item
  // (file, entry index, id) in the warning.
  void Skip(absl::string_view reason, absl::string_view detail);

  // False after Skip()ping it: `text`, a `what` ("caption", "question"), is empty or longer
  // than kMaxTextBytes. `detail` names the item.
  bool KeepText(absl::string_view text, absl::string_view what, absl::string_view detail);
  // False after Skip()ping it: a recorded image size that is not in [1, kMaxImageSide].
  bool KeepImageSize(int64_t height, int64_t width, absl::string_view detail);

  // An error unless the conversion produced something: `kept` (a counter, e.g. "captions")
  // is > 0 and at most `max_skipped_fraction` of kept + skipped items were skipped. Checked
  // before writing, so a wrong conversion leaves no output file.
  absl::Status CheckUsable(absl::string_view kept, double max_skipped_fraction) const;

  int64_t count(absl::string_view what) const;
  int64_t skipped(absl::string_view reason) const;
  int64_t total_skipped() const;
  std::string ToString() const;

 private:
  std::string name_;
  int warnings_per_reason_;
  std::vector<std::pair<std::string, int64_t>> counts_;
  std::map<std::string, int64_t> skips_;
};

}  // namespace soho::data
