#pragma once
// COCO captions (captions_train2014.json: {"images": [{"id", "file_name", "height",
// "width"}], "annotations": [{"image_id", "id", "caption"}]}) -> pre-training annotations.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/prepare/conversion_summary.h"

namespace soho::data {

// One image per entry of "images" (in that order) that has at least one caption, with its
// captions in file order, trimmed. Skipped and counted in `summary`: malformed image or
// caption entries, captions of unknown images, empty captions, images without captions.
// Error (whole file): not an object, or no "images"/"annotations" list.
absl::StatusOr<std::vector<PretrainImage>> ConvertCocoCaptions(const nlohmann::json& root,
                                                               const std::string& path,
                                                               ConversionSummary* summary);

struct ImageSize {
  int height = 0;
  int width = 0;
};
using ImageSizes = absl::flat_hash_map<int64_t, ImageSize>;

// Image sizes from the "images" list of any COCO-style file (captions_*.json,
// instances_*.json, image_info_test2015.json): VQA v2 files do not carry them.
absl::StatusOr<ImageSizes> ReadCocoImageSizes(const nlohmann::json& root, const std::string& path);

// Leading/trailing ASCII whitespace removed (COCO captions often end in " \n").
std::string TrimCaption(const std::string& caption);

}  // namespace soho::data
