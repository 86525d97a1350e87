#include "soho/data/dataset_common.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/data/sampler.h"

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

absl::Status CheckDatasetConfig(const proto::DataConfig& data, Split split) {
  if (SourcesOf(data, split).empty()) return absl::InvalidArgumentError(absl::StrCat(SplitName(split), " is empty"));
  if (data.sentence_group() < 1) return absl::InvalidArgumentError("data.sentence_group must be >= 1");
  if (data.max_text_length() < 2) return absl::InvalidArgumentError("data.max_text_length must be >= 2");
  return absl::OkStatus();
}

SplitFiles FilesOf(const proto::DataConfig& data, Split split) {
  SplitFiles files;
  for (const proto::DataSource& source : SourcesOf(data, split)) {
    files.annotations.push_back(source.annotation());
    files.image_roots.push_back(source.image_root());
  }
  files.name = absl::StrJoin(files.annotations, ",");
  return files;
}

bool BelowMinSize(const std::string& annotation, const std::string& file_name, int height, int width, int min_size,
                  const std::string& left_out) {
  if (height <= 0 || width <= 0 || std::min(height, width) >= min_size) return false;
  LOG(WARNING) << annotation << ": " << file_name << " is " << width << "x" << height
               << ", below data.image.min_size " << min_size << "; " << left_out;
  return true;
}

void TextSamples::AddImage(int32_t image, int32_t num_texts, int group, int height, int width) {
  const uint8_t aspect = height > 0 && width > 0 ? AspectGroup(height, width) : 0;
  for (int32_t first = 0; first < num_texts; first += group) {
    chunks.push_back({image, first, std::min(group, num_texts - first)});
    groups.push_back(aspect);
  }
}

std::vector<int32_t> ChooseTextRows(const TextChunk& chunk, int group, int num_texts, Rng* rng) {
  std::vector<int32_t> chosen(group);
  std::iota(chosen.begin(), chosen.begin() + chunk.count, chunk.first);
  const int missing = group - chunk.count;
  if (missing > 0 && missing <= num_texts) {
    std::vector<int32_t> all(num_texts);
    std::iota(all.begin(), all.end(), 0);
    for (int k = 0; k < missing; ++k) {
      std::swap(all[k], all[k + rng->UniformInt(num_texts - k)]);
      chosen[chunk.count + k] = all[k];
    }
  } else {
    for (int k = 0; k < missing; ++k) chosen[chunk.count + k] = static_cast<int32_t>(rng->UniformInt(num_texts));
  }
  return chosen;
}

Rng TextRng(uint64_t batch_seed, int64_t position) {
  return Rng(CombineSeeds({batch_seed, static_cast<uint64_t>(position), 1}));
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
