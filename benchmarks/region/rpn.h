#pragma once
// Region proposal network of the C4 Faster R-CNN (bottom-up attention's detector):
// 3x3 conv + ReLU, then per anchor an objectness logit and 4 box deltas; proposals are the
// top pre_nms_topk anchors by objectness, decoded, clipped to the image, emptied boxes
// dropped, NMS at nms_threshold, the best post_nms_topk kept.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "benchmarks/region/anchors.h"

namespace soho::bench::region {

struct RpnOptions {
  AnchorSpec anchors;
  // Width of the 3x3 conv (bottom-up attention's rpn_conv/3x3: 512).
  int64_t hidden_channels = 512;
  int64_t pre_nms_topk = 6000;
  int64_t post_nms_topk = 300;
  double nms_threshold = 0.7;
  double min_box_size = 0.0;
};

// Parameter names follow detectron2's StandardRPNHead (conv, objectness_logits, anchor_deltas).
class RpnImpl : public torch::nn::Module {
 public:
  RpnImpl(int64_t in_channels, RpnOptions options);

  // features [N, C, H, W] at stride options.anchors.stride of an image_height x image_width
  // input; returns per image the proposals [K, 4] (pixels, K <= post_nms_topk), best first.
  std::vector<at::Tensor> forward(const at::Tensor& features, int64_t image_height, int64_t image_width);

  const RpnOptions& options() const { return options_; }

 private:
  RpnOptions options_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::Conv2d objectness_logits_{nullptr};
  torch::nn::Conv2d anchor_deltas_{nullptr};
};
TORCH_MODULE(Rpn);

}  // namespace soho::bench::region
