#pragma once
// Pieces shared by the datasets: which split of the config to read, and the per-group pools
// that bad samples are replaced from.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/skip_tracker.h"
#include "soho/proto/config.pb.h"

namespace soho::data {

enum class Split { kTrain, kVal, kTest };

// data.train / data.val / data.test, and the field name for messages.
const google::protobuf::RepeatedPtrField<proto::DataSource>& SourcesOf(const proto::DataConfig& data, Split split);
const char* SplitName(Split split);

// pools[g] = the sample indices whose aspect group is g (g = 0, 1).
std::vector<std::vector<int64_t>> GroupPools(const std::vector<uint8_t>& groups);

// A tracker for a dataset of `samples` samples whose files had `dropped` malformed or
// too-small entries left out: those count against the limit from the start, so a dataset
// that is already over it fails here.
absl::StatusOr<std::unique_ptr<SkipTracker>> NewSkipTracker(const std::string& name, int64_t samples,
                                                            int64_t dropped, double max_fraction);

}  // namespace soho::data
