#include "soho/data/prepare/synthetic_render.h"

#include <cmath>
#include <vector>

#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace soho::data::synthetic {
namespace {

std::vector<cv::Point> RegularPolygon(const Object& o, int corners, double radius_scale,
                                      double start_angle) {
  std::vector<cv::Point> points;
  for (int i = 0; i < corners; ++i) {
    const double angle = start_angle + 2 * M_PI * i / corners;
    points.emplace_back(static_cast<int>(std::lround(o.cx + radius_scale * o.radius * std::cos(angle))),
                        static_cast<int>(std::lround(o.cy + radius_scale * o.radius * std::sin(angle))));
  }
  return points;
}

std::vector<cv::Point> Star(const Object& o) {
  std::vector<cv::Point> points;
  for (int i = 0; i < 10; ++i) {
    const double angle = -M_PI / 2 + M_PI * i / 5;
    const double r = (i % 2 == 0 ? 1.0 : 0.45) * o.radius;
    points.emplace_back(static_cast<int>(std::lround(o.cx + r * std::cos(angle))),
                        static_cast<int>(std::lround(o.cy + r * std::sin(angle))));
  }
  return points;
}

void Draw(const Object& o, cv::Mat* image) {
  uint8_t bgr[3];
  ColorBgr(o.color, bgr);
  const cv::Scalar color(bgr[0], bgr[1], bgr[2]);
  const cv::Point center(static_cast<int>(std::lround(o.cx)), static_cast<int>(std::lround(o.cy)));
  std::vector<cv::Point> polygon;
  switch (o.shape) {
    case Shape::kCircle:
      cv::circle(*image, center, static_cast<int>(std::lround(o.radius)), color, cv::FILLED, cv::LINE_AA);
      return;
    case Shape::kSquare:
      polygon = RegularPolygon(o, 4, 1.0, M_PI / 4);  // axis-aligned
      break;
    case Shape::kTriangle:
      polygon = RegularPolygon(o, 3, 1.0, -M_PI / 2);  // pointing up
      break;
    case Shape::kDiamond:
      polygon = RegularPolygon(o, 4, 1.0, 0);
      break;
    case Shape::kStar:
      polygon = Star(o);
      break;
  }
  cv::fillPoly(*image, std::vector<std::vector<cv::Point>>{polygon}, color, cv::LINE_AA);
}

}  // namespace

cv::Mat RenderScene(const Scene& scene) {
  cv::Mat image(scene.height, scene.width, CV_8UC3, cv::Scalar::all(scene.background_level));
  if (scene.noisy_background) {
    cv::Mat noise(scene.height, scene.width, CV_16SC3);
    cv::RNG rng(scene.noise_seed);
    rng.fill(noise, cv::RNG::NORMAL, 0, 14);
    cv::Mat shifted;
    image.convertTo(shifted, CV_16SC3);
    shifted += noise;
    shifted.convertTo(image, CV_8UC3);  // saturates to [0, 255]
  }
  for (const Object& o : scene.objects) Draw(o, &image);
  return image;
}

absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& image, int quality) {
  std::vector<uchar> bytes;
  if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, quality})) {
    return absl::InternalError("JPEG encoding failed");
  }
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace soho::data::synthetic
