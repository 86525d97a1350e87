#pragma once
// Anchors of the Faster R-CNN region proposal network, detectron2's DefaultAnchorGenerator
// on one feature map: for every feature-map location, one anchor per (size, aspect ratio).
#include <ATen/ATen.h>

#include <vector>

namespace soho::bench::region {

struct AnchorSpec {
  // Feature-map stride in pixels (C4 of a ResNet: 16).
  int stride = 16;
  // Anchor sizes in pixels: sqrt(area). Bottom-up attention's scales 4, 8, 16, 32 x stride.
  std::vector<double> sizes = {64, 128, 256, 512};
  // Height / width.
  std::vector<double> aspect_ratios = {0.5, 1.0, 2.0};

  int num_anchors() const { return static_cast<int>(sizes.size() * aspect_ratios.size()); }
};

// The anchors of one location, centred on (0, 0): [A, 4] as (x1, y1, x2, y2), sizes in the
// outer loop and aspect ratios in the inner one; w = sqrt(size^2 / ratio), h = ratio * w.
at::Tensor CellAnchors(const AnchorSpec& spec);

// Every anchor of a height x width feature map: [height * width * A, 4], the cell anchors
// shifted by (col * stride, row * stride), location-major (row, then col) with the anchor
// index innermost: the order of the RPN head's outputs permuted to [H, W, A].
at::Tensor GridAnchors(const AnchorSpec& spec, int64_t height, int64_t width,
                       const at::TensorOptions& options = at::kFloat);

}  // namespace soho::bench::region
