#pragma once
// The image half of every sample: read -> decode -> size check -> keep-ratio resize (to a
// scale chosen per image when training), and batch collation into the tensors the model
// consumes. Mirrors the reference pipeline (mmcv imread, mmdet Resize(keep_ratio) /
// Normalize / Pad(size_divisor) and mmcv collate).
//
//   SOHO_ASSIGN_OR_RETURN(ImagePipeline pipeline, ImagePipeline::Create(config.data().image(), true));
//   SOHO_ASSIGN_OR_RETURN(cv::Mat a, pipeline.Load(*store, "a.jpg", &rng));
//   ImageBatch batch = pipeline.Collate({a, b});   // images [2,3,H,W], valid_hw [2,2]
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <opencv2/core/mat.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soho/common/image_batch.h"
#include "soho/data/image/buffer_pool.h"
#include "soho/data/image/image_store.h"
#include "soho/data/image/transforms.h"
#include "soho/data/rng.h"
#include "soho/proto/config.pb.h"

namespace soho::data {

class ImagePipeline {
 public:
  // `training` selects the scale policy: config.train_scales (VALUE or RANGE mode) when
  // training and non-empty, else config.test_scale (default (1000, 600)). Checks the config
  // (3 means and stds, positive stds and scales, min_size >= 1) and names bad fields.
  static absl::StatusOr<ImagePipeline> Create(const proto::ImageConfig& config, bool training);

  // The scale for one image. VALUE: one of the scales, uniformly. RANGE (mmdet's
  // Resize.random_sample): long edge uniform in [min long, max long], short edge uniform in
  // [min short, max short], integers inclusive. Draws nothing when only one scale applies.
  ImageScale ChooseScale(Rng* rng) const;

  // store.Read + Prepare. Every failure names the file.
  absl::StatusOr<cv::Mat> Load(const ImageStore& store, const std::string& file_name, Rng* rng) const;

  // Decode `bytes` (refusing more than max_pixels pixels and corrupt JPEG data), reject
  // images whose height or width is below min_size, resize to
  // ChooseScale(rng). Returns the resized 8-bit BGR image.
  absl::StatusOr<cv::Mat> Prepare(absl::string_view bytes, const std::string& name, Rng* rng) const;

  // Pads to the batch's largest size (rounded up to the divisor), normalizes each image
  // straight into the batch tensor (all zeros with config.blank) and records the valid sizes. `images` must be non-empty
  // 8-bit BGR images (as Prepare returns). The images tensor's memory is recycled through a
  // FloatBufferPool shared by copies of this pipeline.
  ImageBatch Collate(const std::vector<cv::Mat>& images) const;

  const Normalization& normalization() const { return normalization_; }
  int size_divisor() const { return size_divisor_; }

 private:
  ImagePipeline() = default;

  std::vector<ImageScale> scales_;
  bool range_mode_ = false;
  Normalization normalization_;
  int size_divisor_ = 32;
  int min_size_ = 1;
  bool blank_ = false;
  int64_t max_pixels_ = 0;
  std::shared_ptr<FloatBufferPool> buffers_ = std::make_shared<FloatBufferPool>();
};

// Process-wide settings for fast image loading; idempotent. ImageSources::Open calls it.
// - OpenCV runs single-threaded: loader workers parallelize, and OpenCV's own pool inside
//   each worker would oversubscribe the cores.
// - soho::ConfigureProcessAllocator (glibc malloc keeps freed memory mapped): freeing a
//   batch's decoded and resized images (~12 MB for 8 images at (1000, 600)) otherwise trims
//   the heap, and the next batch pays a page fault per 4 KB page again. Measured 3x on the
//   whole loader (benchmarks/data_benchmark.cc, BM_PretrainLoader).
void ConfigureProcessForImageLoading();

}  // namespace soho::data
