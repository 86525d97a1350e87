#include "soho/data/image/image_pipeline.h"

#include <algorithm>
#include <cstdlib>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <opencv2/core/utility.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soho/common/logging.h"
#include "soho/common/process_settings.h"
#include "soho/common/status_macros.h"
#include "soho/data/image/decode.h"

namespace soho::data {
namespace {

void CheckScale(const proto::ImageScale& s, const std::string& field, std::vector<std::string>* problems) {
  if (s.long_edge() <= 0 || s.short_edge() <= 0) {
    problems->push_back(absl::StrCat(field, ": long_edge and short_edge must be positive, got (",
                                     s.long_edge(), ", ", s.short_edge(), ")"));
  }
}

ImageScale ToScale(const proto::ImageScale& s) { return {s.long_edge(), s.short_edge()}; }

}  // namespace

absl::StatusOr<ImagePipeline> ImagePipeline::Create(const proto::ImageConfig& config, bool training) {
  std::vector<std::string> problems;
  ImagePipeline p;
  if (training && config.train_scales_size() > 0) {
    for (int i = 0; i < config.train_scales_size(); ++i) {
      CheckScale(config.train_scales(i), absl::StrCat("data.image.train_scales[", i, "]"), &problems);
      p.scales_.push_back(ToScale(config.train_scales(i)));
    }
    p.range_mode_ = config.scale_mode() == proto::ImageConfig::RANGE;
  } else if (config.has_test_scale()) {
    CheckScale(config.test_scale(), "data.image.test_scale", &problems);
    p.scales_.push_back(ToScale(config.test_scale()));
  } else {
    p.scales_.push_back(ImageScale{});
  }
  if (config.mean_size() != 0 || config.std_size() != 0) {
    if (config.mean_size() != 3 || config.std_size() != 3) {
      problems.push_back(absl::StrCat("data.image.mean/std: need 3 values each (RGB), got ", config.mean_size(),
                                      " and ", config.std_size()));
    } else {
      for (int c = 0; c < 3; ++c) {
        p.normalization_.mean[c] = config.mean(c);
        p.normalization_.std[c] = config.std(c);
        if (!(config.std(c) > 0)) problems.push_back(absl::StrCat("data.image.std[", c, "] must be > 0"));
      }
    }
  }
  if (config.size_divisor() < 0) problems.push_back("data.image.size_divisor must be >= 0");
  if (config.min_size() < 1) problems.push_back("data.image.min_size must be >= 1");
  if (config.max_pixels() < 1) problems.push_back("data.image.max_pixels must be >= 1");
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  p.size_divisor_ = config.size_divisor();
  p.min_size_ = config.min_size();
  p.blank_ = config.blank();
  p.max_pixels_ = config.max_pixels();
  return p;
}

ImageScale ImagePipeline::ChooseScale(Rng* rng) const {
  if (scales_.size() == 1) return scales_[0];
  if (!range_mode_) return scales_[rng->UniformInt(scales_.size())];
  int min_long = INT32_MAX, max_long = 0, min_short = INT32_MAX, max_short = 0;
  for (const ImageScale& s : scales_) {
    const int l = std::max(s.long_edge, s.short_edge);
    const int sh = std::min(s.long_edge, s.short_edge);
    min_long = std::min(min_long, l);
    max_long = std::max(max_long, l);
    min_short = std::min(min_short, sh);
    max_short = std::max(max_short, sh);
  }
  const int long_edge = static_cast<int>(rng->UniformRange(min_long, max_long));
  const int short_edge = static_cast<int>(rng->UniformRange(min_short, max_short));
  return {long_edge, short_edge};
}

absl::StatusOr<cv::Mat> ImagePipeline::Load(const ImageStore& store, const std::string& file_name, Rng* rng) const {
  SOHO_ASSIGN_OR_RETURN(const std::string bytes, store.Read(file_name));
  return Prepare(bytes, store.Describe(file_name), rng);
}

absl::StatusOr<cv::Mat> ImagePipeline::Prepare(absl::string_view bytes, const std::string& name, Rng* rng) const {
  SOHO_ASSIGN_OR_RETURN(cv::Mat image, DecodeImageBgr(bytes, name, max_pixels_));
  if (image.rows < min_size_ || image.cols < min_size_) {
    return absl::OutOfRangeError(absl::StrCat(name, ": image is ", image.cols, "x", image.rows,
                                              " pixels, below the minimum size ", min_size_,
                                              " (data.image.min_size)"));
  }
  return ResizeKeepRatio(image, ChooseScale(rng));
}

ImageBatch ImagePipeline::Collate(const std::vector<cv::Mat>& images) const {
  CHECK(!images.empty()) << "Collate needs at least one image";
  const int64_t batch = static_cast<int64_t>(images.size());
  int max_h = 0, max_w = 0;
  for (const cv::Mat& m : images) {
    max_h = std::max(max_h, m.rows);
    max_w = std::max(max_w, m.cols);
  }
  const int height = RoundUpToMultiple(max_h, size_divisor_);
  const int width = RoundUpToMultiple(max_w, size_divisor_);
  // Uninitialized: NormalizeInto writes every element, padding included.
  ImageBatch out;
  out.images = buffers_->Empty({batch, 3, height, width});
  out.valid_hw = at::empty({batch, 2}, at::kLong);
  float* dst = out.images.data_ptr<float>();
  int64_t* hw = out.valid_hw.data_ptr<int64_t>();
  const size_t per_image = static_cast<size_t>(3) * height * width;
  if (blank_) out.images.zero_();
  for (int64_t i = 0; i < batch; ++i) {
    if (!blank_) NormalizeInto(images[i], normalization_, dst + i * per_image, height, width);
    hw[2 * i] = images[i].rows;
    hw[2 * i + 1] = images[i].cols;
  }
  return out;
}

void ConfigureProcessForImageLoading() {
  cv::setNumThreads(0);
  ConfigureProcessAllocator();
}

}  // namespace soho::data
