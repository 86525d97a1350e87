#pragma once
// Box geometry of the region-based baseline (Faster R-CNN conventions of detectron2):
// boxes are [N, 4] float tensors (x1, y1, x2, y2) in continuous pixel coordinates, so a
// box's width is x2 - x1 (no legacy "+1"). Every function runs on the tensors' device.
#include <ATen/ATen.h>

#include <cmath>

namespace soho::bench::region {

// Weights that divide the regression targets (dx, dy, dw, dh): (1, 1, 1, 1) for the RPN,
// (10, 10, 5, 5) for the second-stage box head.
struct BoxCoderWeights {
  double x = 1.0;
  double y = 1.0;
  double w = 1.0;
  double h = 1.0;
};

// Largest log-scale change a delta may ask for: exp(dw) is capped at 1000/16 so a
// random or bad prediction cannot overflow to infinite boxes.
inline const double kBoxScaleClamp = std::log(1000.0 / 16.0);

// Applies regression `deltas` [N, 4] (dx, dy, dw, dh) to `boxes` [N, 4]:
//   ctr' = ctr + (d / weight) * size,  size' = size * exp(min(dw / weight, scale_clamp)).
at::Tensor DecodeBoxes(const at::Tensor& deltas, const at::Tensor& boxes, const BoxCoderWeights& weights = {},
                       double scale_clamp = kBoxScaleClamp);

// Clamps x to [0, width] and y to [0, height].
at::Tensor ClipBoxes(const at::Tensor& boxes, int64_t height, int64_t width);

// True for boxes whose width and height both exceed `min_size`.
at::Tensor NonEmptyBoxes(const at::Tensor& boxes, double min_size = 0.0);

// Intersection over union of every pair: [N, M] for a [N, 4] and b [M, 4].
at::Tensor PairwiseIou(const at::Tensor& a, const at::Tensor& b);

}  // namespace soho::bench::region
