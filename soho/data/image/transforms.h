#pragma once
// The reference's image transforms (mmcv/mmdet), on 8-bit BGR images:
// keep-ratio resize into a (long, short) scale, normalization, padding to a divisor.
#include <array>

#include <opencv2/core/mat.hpp>

namespace soho::data {

// A (long edge, short edge) bound; either order is accepted, as mmcv does.
struct ImageScale {
  int long_edge = 1000;
  int short_edge = 600;
};

struct ImageSize {
  int height = 0;
  int width = 0;
  bool operator==(const ImageSize& o) const { return height == o.height && width == o.width; }
};

// mmcv.rescale_size: factor = min(long / max(h, w), short / min(h, w)); the new size is
// (int(w * factor + 0.5), int(h * factor + 0.5)).
ImageSize RescaleSize(ImageSize size, ImageScale scale);

// mmcv.imrescale: bilinear resize (cv::INTER_LINEAR, as cv2.resize) to RescaleSize.
// Returns `image` itself (no copy) when the size does not change.
cv::Mat ResizeKeepRatio(const cv::Mat& image, ImageScale scale);

// Smallest multiple of `divisor` >= x (divisor <= 0: x).
int RoundUpToMultiple(int x, int divisor);

// Per-channel RGB mean and std on 0..255 values.
struct Normalization {
  std::array<float, 3> mean = {123.675f, 116.28f, 103.53f};
  std::array<float, 3> std = {58.395f, 57.12f, 57.375f};
};

// Writes (rgb - mean) / std of the 8-bit BGR `image` (h x w) into the top-left corner of
// three float planes of `height` x `width` at `dst` (channel-major, RGB order) and zeroes
// the rest of the planes (the padding). Requires h <= height, w <= width. One pass, through
// a 256-entry lookup table per channel.
void NormalizeInto(const cv::Mat& image, const Normalization& norm, float* dst, int height, int width);

}  // namespace soho::data
