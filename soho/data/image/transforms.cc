#include "soho/data/image/transforms.h"

#include <algorithm>
#include <cstring>

#include <opencv2/imgproc.hpp>

#include "soho/common/logging.h"

namespace soho::data {

ImageSize RescaleSize(ImageSize size, ImageScale scale) {
  const double max_long = std::max(scale.long_edge, scale.short_edge);
  const double max_short = std::min(scale.long_edge, scale.short_edge);
  const double factor = std::min(max_long / std::max(size.height, size.width),
                                 max_short / std::min(size.height, size.width));
  // Python's int() truncates toward zero; values are positive.
  return {static_cast<int>(size.height * factor + 0.5), static_cast<int>(size.width * factor + 0.5)};
}

cv::Mat ResizeKeepRatio(const cv::Mat& image, ImageScale scale) {
  const ImageSize target = RescaleSize({image.rows, image.cols}, scale);
  if (target.height == image.rows && target.width == image.cols) return image;
  cv::Mat resized;
  cv::resize(image, resized, cv::Size(target.width, target.height), 0, 0, cv::INTER_LINEAR);
  return resized;
}

int RoundUpToMultiple(int x, int divisor) {
  if (divisor <= 0) return x;
  return (x + divisor - 1) / divisor * divisor;
}

void NormalizeInto(const cv::Mat& image, const Normalization& norm, float* dst, int height, int width) {
  CHECK_EQ(image.type(), CV_8UC3) << "NormalizeInto expects an 8-bit BGR image";
  const int h = image.rows;
  const int w = image.cols;
  CHECK(h <= height && w <= width) << h << "x" << w << " does not fit " << height << "x" << width;
  // lut[c][v] = (v - mean[c]) / std[c] for RGB channel c, rounded as mmcv's imnormalize
  // does: float32 image minus the float64 mean, then times the float64 1/std, each
  // result stored as float32.
  float lut[3][256];
  for (int c = 0; c < 3; ++c) {
    const double inv_std = 1.0 / static_cast<double>(norm.std[c]);
    for (int v = 0; v < 256; ++v) {
      const float centered = static_cast<float>(v - static_cast<double>(norm.mean[c]));
      lut[c][v] = static_cast<float>(centered * inv_std);
    }
  }
  const size_t plane = static_cast<size_t>(height) * width;
  float* r = dst;
  float* g = dst + plane;
  float* b = dst + 2 * plane;
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = image.ptr<uint8_t>(y);
    float* ry = r + static_cast<size_t>(y) * width;
    float* gy = g + static_cast<size_t>(y) * width;
    float* by = b + static_cast<size_t>(y) * width;
    for (int x = 0; x < w; ++x) {
      by[x] = lut[2][src[3 * x]];
      gy[x] = lut[1][src[3 * x + 1]];
      ry[x] = lut[0][src[3 * x + 2]];
    }
    if (w < width) {
      const size_t pad = sizeof(float) * (width - w);
      std::memset(ry + w, 0, pad);
      std::memset(gy + w, 0, pad);
      std::memset(by + w, 0, pad);
    }
  }
  if (h < height) {
    const size_t rows = sizeof(float) * static_cast<size_t>(height - h) * width;
    for (float* p : {r, g, b}) std::memset(p + static_cast<size_t>(h) * width, 0, rows);
  }
}

}  // namespace soho::data
