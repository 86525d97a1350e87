#pragma once
// Counts and skip reasons of one `prepare` conversion, for the summary it prints at the end:
//   "coco: 3 images, 15 captions; skipped 2: caption of an unknown image x1, empty caption x1"
// Each skipped item is also logged as a warning (the first few per reason, then counted only).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soho::data {

class ConversionSummary {
 public:
  explicit ConversionSummary(std::string name, int warnings_per_reason = 10)
      : name_(std::move(name)), warnings_per_reason_(warnings_per_reason) {}

  // Adds `n` to the counter `what` ("images", "captions"); counters print in first-use order.
  void Count(std::string_view what, int64_t n = 1);
  // Records one skipped item: `reason` groups it in the summary, `detail` names the item
  // (file, entry index, id) in the warning.
  void Skip(std::string_view reason, std::string_view detail);

  int64_t count(std::string_view what) const;
  int64_t skipped(std::string_view reason) const;
  int64_t total_skipped() const;
  std::string ToString() const;

 private:
  std::string name_;
  int warnings_per_reason_;
  std::vector<std::pair<std::string, int64_t>> counts_;
  std::map<std::string, int64_t> skips_;
};

}  // namespace soho::data
