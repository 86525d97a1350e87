#pragma once
// What the two datasets (pre-training captions, VQA questions) share: which split of the
// config to read, cutting an image's texts into samples of G, choosing a sample's text rows,
// the random stream of the text draws, and the per-group pools that bad samples are
// replaced from.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/rng.h"
#include "soho/data/skip_tracker.h"
#include "soho/proto/config.pb.h"

namespace soho::data {

enum class Split { kTrain, kVal, kTest };

// data.train / data.val / data.test, and the field name for messages.
const google::protobuf::RepeatedPtrField<proto::DataSource>& SourcesOf(const proto::DataConfig& data, Split split);
const char* SplitName(Split split);

// Checks the data fields both datasets need before reading anything: the split has sources,
// data.sentence_group >= 1, data.max_text_length >= 2.
absl::Status CheckDatasetConfig(const proto::DataConfig& data, Split split);

// The annotation files and image roots of a split's sources, and their names joined by ","
// (the dataset's name in messages).
struct SplitFiles {
  std::vector<std::string> annotations;
  std::vector<std::string> image_roots;
  std::string name;
};
SplitFiles FilesOf(const proto::DataConfig& data, Split split);

// Whether an image's recorded size is below data.image.min_size; if so, warns naming the file
// (`left_out` says what goes with it). Such images are left out up front, as the reference's
// _filter_imgs does; unknown sizes (0) are checked when the image is decoded.
bool BelowMinSize(const std::string& annotation, const std::string& file_name, int height, int width, int min_size,
                  const std::string& left_out);

// A sample: `count` consecutive texts (captions or questions) of one image from `first`.
struct TextChunk {
  int32_t image = 0;
  int32_t first = 0;
  int32_t count = 0;
};

// The samples of a dataset and the aspect group of each (for the samplers).
struct TextSamples {
  std::vector<TextChunk> chunks;
  std::vector<uint8_t> groups;

  // Cuts image `image`'s `num_texts` texts into chunks of `group` (the last may be short),
  // all in the aspect group of its recorded size (0 when unknown).
  void AddImage(int32_t image, int32_t num_texts, int group, int height, int width);
};

// Which of an image's `num_texts` texts fill the `group` rows of `chunk`: its own, then, for
// a short chunk, the missing ones drawn from `rng` among all the image's texts: distinct
// (a partial Fisher-Yates shuffle, as the reference's shuffle) when the image has enough,
// else with replacement.
std::vector<int32_t> ChooseTextRows(const TextChunk& chunk, int group, int num_texts, Rng* rng);

// The random stream of the text draws (top-up, MLM masking, ITM negatives) of batch position
// `position`: its own, after the image's (seed, position) stream, so the text does not depend
// on how many draws the image pipeline and a fallback made.
Rng TextRng(uint64_t batch_seed, int64_t position);

// pools[g] = the sample indices whose aspect group is g (g = 0, 1).
std::vector<std::vector<int64_t>> GroupPools(const std::vector<uint8_t>& groups);

// A tracker for a dataset of `samples` samples whose files had `dropped` malformed or
// too-small entries left out: those count against the limit from the start, so a dataset
// that is already over it fails here.
absl::StatusOr<std::unique_ptr<SkipTracker>> NewSkipTracker(const std::string& name, int64_t samples,
                                                            int64_t dropped, double max_fraction);

}  // namespace soho::data
