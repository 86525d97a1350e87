#pragma once
// RoIAlign (Mask R-CNN; detectron2's ROIAlign semantics), the region pooling of the C4
// Faster R-CNN box head: every RoI is cut into output_size x output_size bins and each bin
// is the average of sampling_ratio^2 bilinearly interpolated samples of the feature map.
//
// Coordinates: a RoI (x1, y1, x2, y2) is in image pixels and is multiplied by
// spatial_scale (1/16 on C4). With aligned = true, half a pixel is subtracted after scaling,
// so a feature cell's value sits at the cell's centre (continuous coordinate i + 0.5 maps to
// index i) and small RoIs are not rounded up to one cell; with aligned = false (the legacy
// behaviour) no offset is applied and RoI sizes are clamped to at least one cell.
// Samples more than one cell outside the map contribute 0; samples within one cell of the
// border are clamped to it (as in detectron2/torchvision).
//
// Bilinear interpolation and bin averaging are separable in y and x, so each RoI's output is
//   out[c] = Wy · F[c, window] · Wxᵀ
// with per-RoI interpolation matrices Wy [P, h], Wx [P, w] over the window of rows/columns
// the samples touch: two small matrix products per RoI instead of a gather per sample,
// identical numbers, and device-agnostic (the weights are built on the host from the RoI
// coordinates and copied to the features' device once).
#include <ATen/ATen.h>

#include <cstdint>

namespace soho::bench::region {

struct RoiAlignOptions {
  int64_t output_size = 14;
  double spatial_scale = 1.0 / 16.0;
  // Samples per bin side; <= 0 means adaptive: ceil(roi_size / output_size) per RoI.
  int64_t sampling_ratio = 2;
  bool aligned = true;
};

// features [N, C, H, W]; rois [R, 5] (batch index, x1, y1, x2, y2). Returns [R, C, P, P]
// in channels-last memory format.
at::Tensor RoiAlign(const at::Tensor& features, const at::Tensor& rois, const RoiAlignOptions& options);

// The separable interpolation weights of one axis for every RoI: [R, P, size] where `size`
// is the feature map's extent along that axis; start/end are the RoIs' coordinates on it
// (pixels, [R]). Exposed for tests.
at::Tensor RoiAlignAxisWeights(const at::Tensor& start, const at::Tensor& end, int64_t size,
                               const RoiAlignOptions& options);

}  // namespace soho::bench::region
