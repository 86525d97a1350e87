#pragma once
// The project's pre-training annotation format (docs/design.md §2): one JSON list of images,
//   [{"file_name", "image_id", "height", "width", "captions": [str, ...], "labels": [int, ...]}]
// COCO captions, Visual Genome and the synthetic world are converted to it by `prepare`.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "soho/data/annotations/entry_count.h"

namespace soho::data {

struct PretrainImage {
  std::string file_name;  // relative to the dataset's image_root
  int64_t image_id = 0;
  int height = 0;  // pixels; 0 = unknown
  int width = 0;
  std::vector<std::string> captions;  // at least one
  std::vector<int> labels;            // optional object labels; may be empty
};

struct PretrainAnnotations {
  std::vector<PretrainImage> images;
  EntryCount entries;  // entries = images in the file
};

// Reads a pre-training annotation file. A malformed file (bad JSON, not a list) is an error
// naming the file (and line/column); a malformed entry (missing/mistyped field, no captions,
// negative size) is skipped with a warning "<path>: entry <i> (...): <why>" and counted.
// "labels" may be absent (read as empty).
absl::StatusOr<PretrainAnnotations> ReadPretrainAnnotations(const std::string& path);

// Same, from parsed JSON; `path` only names the source in messages.
absl::StatusOr<PretrainAnnotations> PretrainAnnotationsFromJson(const nlohmann::json& root,
                                                                const std::string& path);

nlohmann::json PretrainAnnotationsToJson(const std::vector<PretrainImage>& images);

// Writes atomically (temporary file + rename).
absl::Status WritePretrainAnnotations(const std::string& path,
                                      const std::vector<PretrainImage>& images);

}  // namespace soho::data
