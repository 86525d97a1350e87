#pragma once
// Image decoding with every failure reported as a Status naming the file.
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include <opencv2/core/mat.hpp>

namespace soho::data {

// Decodes JPEG/PNG/... `bytes` into an 8-bit, 3-channel image in OpenCV's BGR order
// (EXIF orientation applied, as mmcv's imread does). The swap to RGB is fused into
// NormalizeInto (transforms.h), which saves a full pass over the pixels.
// `name` only labels errors: empty input, a truncated JPEG (no end-of-image marker; OpenCV
// would otherwise return a half-grey image with a warning), or undecodable bytes.
absl::StatusOr<cv::Mat> DecodeImageBgr(absl::string_view bytes, const std::string& name);

}  // namespace soho::data
