#include "soho/data/dataset_common.h"

#include "absl/strings/str_cat.h"
#include "soho/common/status_macros.h"

namespace soho::data {

const google::protobuf::RepeatedPtrField<proto::DataSource>& SourcesOf(const proto::DataConfig& data, Split split) {
  switch (split) {
    case Split::kTrain:
      return data.train();
    case Split::kVal:
      return data.val();
    case Split::kTest:
      return data.test();
  }
  return data.train();
}

const char* SplitName(Split split) {
  switch (split) {
    case Split::kTrain:
      return "data.train";
    case Split::kVal:
      return "data.val";
    case Split::kTest:
      return "data.test";
  }
  return "data.train";
}

std::vector<std::vector<int64_t>> GroupPools(const std::vector<uint8_t>& groups) {
  std::vector<std::vector<int64_t>> pools(2);
  for (int64_t i = 0; i < static_cast<int64_t>(groups.size()); ++i) pools[groups[i] ? 1 : 0].push_back(i);
  return pools;
}

absl::StatusOr<std::unique_ptr<SkipTracker>> NewSkipTracker(const std::string& name, int64_t samples,
                                                            int64_t dropped, double max_fraction) {
  auto tracker = std::make_unique<SkipTracker>(name, samples + dropped, max_fraction);
  SOHO_RETURN_IF_ERROR(tracker->RecordDroppedAtLoad(
      dropped, absl::StrCat(dropped, " annotation entries left out when reading (see the warnings above)")));
  return tracker;
}

}  // namespace soho::data
