#include "benchmarks/region/rpn.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>

#include <algorithm>

#include "benchmarks/region/boxes.h"
#include "benchmarks/region/nms.h"

namespace soho::bench::region {

RpnImpl::RpnImpl(int64_t in_channels, RpnOptions options) : options_(std::move(options)) {
  const int64_t anchors = options_.anchors.num_anchors();
  conv_ = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, options_.hidden_channels, 3).padding(1)));
  objectness_logits_ = register_module(
      "objectness_logits", torch::nn::Conv2d(torch::nn::Conv2dOptions(options_.hidden_channels, anchors, 1)));
  anchor_deltas_ = register_module(
      "anchor_deltas", torch::nn::Conv2d(torch::nn::Conv2dOptions(options_.hidden_channels, anchors * 4, 1)));
  // detectron2's initialisation: N(0, 0.01) weights, zero biases.
  for (auto* conv : {&conv_, &objectness_logits_, &anchor_deltas_}) {
    torch::nn::init::normal_((*conv)->weight, 0.0, 0.01);
    torch::nn::init::zeros_((*conv)->bias);
  }
}

std::vector<at::Tensor> RpnImpl::forward(const at::Tensor& features, int64_t image_height, int64_t image_width) {
  const int64_t batch = features.size(0);
  const int64_t height = features.size(2);
  const int64_t width = features.size(3);
  const int64_t anchors_per_cell = options_.anchors.num_anchors();
  const at::Tensor hidden = torch::nn::functional::relu(conv_->forward(features));
  // [N, A, H, W] -> [N, H*W*A] and [N, A*4, H, W] -> [N, H*W*A, 4]: the anchors' order.
  const at::Tensor logits = objectness_logits_->forward(hidden).permute({0, 2, 3, 1}).reshape({batch, -1});
  const at::Tensor deltas = anchor_deltas_->forward(hidden)
                                .view({batch, anchors_per_cell, 4, height, width})
                                .permute({0, 3, 4, 1, 2})
                                .reshape({batch, -1, 4});
  const at::Tensor anchors = GridAnchors(options_.anchors, height, width, features.options());

  std::vector<at::Tensor> proposals;
  proposals.reserve(batch);
  const int64_t topk = std::min(options_.pre_nms_topk, logits.size(1));
  for (int64_t i = 0; i < batch; ++i) {
    // Sigmoid is monotonic: ranking logits ranks objectness probabilities.
    const auto [scores, index] = logits[i].topk(topk);
    at::Tensor boxes = DecodeBoxes(deltas[i].index_select(0, index), anchors.index_select(0, index));
    boxes = ClipBoxes(boxes, image_height, image_width);
    const at::Tensor valid = NonEmptyBoxes(boxes, options_.min_box_size).nonzero().view(-1);
    boxes = boxes.index_select(0, valid);
    const at::Tensor keep =
        Nms(boxes, scores.index_select(0, valid), options_.nms_threshold, options_.post_nms_topk);
    proposals.push_back(boxes.index_select(0, keep));
  }
  return proposals;
}

}  // namespace soho::bench::region
