#pragma once
// Image decoding with every failure reported as a Status naming the file.
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include <opencv2/core/mat.hpp>

namespace soho::data {

// Default of data.image.max_pixels: 40 megapixels (7,300 x 5,500), above any photo in the
// datasets the project reads; a decoded image of that size takes 120 MB.
inline constexpr int64_t kDefaultMaxImagePixels = 40'000'000;

// Decodes JPEG/PNG/... `bytes` into an 8-bit, 3-channel image in OpenCV's BGR order
// (EXIF orientation applied, as mmcv's imread does). The swap to RGB is fused into
// NormalizeInto (transforms.h), which saves a full pass over the pixels.
// `name` only labels errors: empty input, a truncated JPEG (no end-of-image marker; OpenCV
// would otherwise return a half-grey image with a warning), undecodable bytes, more than
// `max_pixels` pixels (judged from the JPEG or PNG header, before any pixel memory is
// allocated), and JPEG data that libjpeg reports as corrupt even though it can go on
// (OpenCV only prints such warnings and returns grey blocks).
absl::StatusOr<cv::Mat> DecodeImageBgr(absl::string_view bytes, const std::string& name,
                                       int64_t max_pixels = kDefaultMaxImagePixels);

}  // namespace soho::data
