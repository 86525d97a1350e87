#pragma once
// Visual Genome region descriptions -> pre-training annotations: each image's region phrases
// become its captions.
//   image_data.json: [{"image_id" (v1.2) or "id" (v1.0), "width", "height", "url", ...}]
//   region_descriptions.json: [{"id" or "image_id", "regions": [{"phrase", "image_id", ...}]}]
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/prepare/conversion_summary.h"

namespace soho::data {

// Images in region-file order; captions are the distinct trimmed phrases in file order.
// file_name is the last two parts of the image's url ("VG_100K_2/1.jpg", the layout of the
// unpacked VG image archives) or "<image_id>.jpg" without a url. Skipped and counted:
// malformed entries, regions of images missing from image_data, empty or repeated phrases,
// images without phrases. Error (whole file): either root is not a list.
absl::StatusOr<std::vector<PretrainImage>> ConvertVisualGenome(const nlohmann::json& regions,
                                                               const std::string& regions_path,
                                                               const nlohmann::json& image_data,
                                                               const std::string& image_data_path,
                                                               ConversionSummary* summary);

}  // namespace soho::data
