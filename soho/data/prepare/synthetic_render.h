#pragma once
// Draws a synthetic scene with OpenCV (anti-aliased shapes on a plain or noisy background)
// and encodes it as JPEG.
#include <string>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"
#include "soho/data/prepare/synthetic_scene.h"

namespace soho::data::synthetic {

// BGR, scene.height x scene.width, 8-bit. Deterministic for a scene.
cv::Mat RenderScene(const Scene& scene);

// JPEG bytes of `image` at `quality` (1..100).
absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& image, int quality = 90);

}  // namespace soho::data::synthetic
