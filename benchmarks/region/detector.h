#pragma once
// The region feature extractor of region-based VQA models: bottom-up attention's C4
// Faster R-CNN (Anderson et al. 2018; detectron2 conventions), compute-faithful with random
// weights. Per batch of images:
//   ResNet stem..layer3 (C4, stride 16) -> RPN proposals (top 6000, NMS 0.7, keep 300)
//   -> RoIAlign 14x14 on C4 for every proposal -> ResNet layer4 ("res5") on every RoI,
//   average-pooled to 2048-d -> class / box / attribute predictions -> per-class NMS 0.3 over
//   the 1600 object classes -> the regions whose best kept confidence passes the threshold
//   (between min_boxes and max_boxes of them; min == max for a fixed count).
// The ResNet is soho::model's (the same code as SOHO's backbone).
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "benchmarks/region/box_predictor.h"
#include "benchmarks/region/roi_align.h"
#include "benchmarks/region/rpn.h"
#include "soho/common/stage_clock.h"
#include "soho/model/resnet.h"

namespace soho::bench::region {

struct RegionDetectorOptions {
  int backbone_depth = 101;
  RpnOptions rpn;
  // 14x14 on C4 (stride 16), adaptive sampling (detectron2's default), aligned.
  RoiAlignOptions roi_align{.output_size = 14, .spatial_scale = 1.0 / 16, .sampling_ratio = 0, .aligned = true};
  BoxPredictorOptions predictor;
  double class_nms_threshold = 0.3;
  double conf_threshold = 0.2;
  int64_t min_boxes = 10;
  int64_t max_boxes = 100;
};

// Selected regions of a batch, padded to the largest count K.
struct RegionFeatures {
  at::Tensor features;  // [N, K, 2048] pooled res5 features
  at::Tensor boxes;     // [N, K, 4] (x1, y1, x2, y2) in pixels
  at::Tensor mask;      // [N, K] 1 for a real region, 0 for padding
};

class RegionDetectorImpl : public torch::nn::Module {
 public:
  explicit RegionDetectorImpl(const RegionDetectorOptions& options);

  // images [N, 3, H, W] of image_height x image_width pictures (padding beyond that is
  // ignored by the box clipping). Marks the stages c4_backbone, rpn, roi_align, res5_head,
  // class_nms on `clock` when given.
  RegionFeatures forward(const at::Tensor& images, int64_t image_height, int64_t image_width,
                         StageClock* clock = nullptr);

  const RegionDetectorOptions& options() const { return options_; }

  model::ResNet backbone{nullptr};
  Rpn rpn{nullptr};
  BoxPredictor predictor{nullptr};

 private:
  RegionDetectorOptions options_;
};
TORCH_MODULE(RegionDetector);

}  // namespace soho::bench::region
