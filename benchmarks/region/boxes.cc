#include "benchmarks/region/boxes.h"

namespace soho::bench::region {

at::Tensor DecodeBoxes(const at::Tensor& deltas, const at::Tensor& boxes, const BoxCoderWeights& weights,
                       double scale_clamp) {
  TORCH_CHECK(deltas.dim() == 2 && deltas.size(1) == 4, "deltas must be [N, 4]");
  TORCH_CHECK(boxes.sizes() == deltas.sizes(), "boxes and deltas must have the same shape");
  const at::Tensor b = boxes.to(deltas.scalar_type());
  const at::Tensor widths = b.select(1, 2) - b.select(1, 0);
  const at::Tensor heights = b.select(1, 3) - b.select(1, 1);
  const at::Tensor ctr_x = b.select(1, 0) + 0.5 * widths;
  const at::Tensor ctr_y = b.select(1, 1) + 0.5 * heights;

  const at::Tensor dx = deltas.select(1, 0) / weights.x;
  const at::Tensor dy = deltas.select(1, 1) / weights.y;
  const at::Tensor dw = (deltas.select(1, 2) / weights.w).clamp_max(scale_clamp);
  const at::Tensor dh = (deltas.select(1, 3) / weights.h).clamp_max(scale_clamp);

  const at::Tensor pred_ctr_x = dx * widths + ctr_x;
  const at::Tensor pred_ctr_y = dy * heights + ctr_y;
  const at::Tensor pred_w = at::exp(dw) * widths;
  const at::Tensor pred_h = at::exp(dh) * heights;
  return at::stack({pred_ctr_x - 0.5 * pred_w, pred_ctr_y - 0.5 * pred_h, pred_ctr_x + 0.5 * pred_w,
                    pred_ctr_y + 0.5 * pred_h},
                   1);
}

at::Tensor ClipBoxes(const at::Tensor& boxes, int64_t height, int64_t width) {
  return at::stack({boxes.select(1, 0).clamp(0, width), boxes.select(1, 1).clamp(0, height),
                    boxes.select(1, 2).clamp(0, width), boxes.select(1, 3).clamp(0, height)},
                   1);
}

at::Tensor NonEmptyBoxes(const at::Tensor& boxes, double min_size) {
  const at::Tensor widths = boxes.select(1, 2) - boxes.select(1, 0);
  const at::Tensor heights = boxes.select(1, 3) - boxes.select(1, 1);
  return widths.gt(min_size).logical_and(heights.gt(min_size));
}

at::Tensor PairwiseIou(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor area_a = (a.select(1, 2) - a.select(1, 0)) * (a.select(1, 3) - a.select(1, 1));
  const at::Tensor area_b = (b.select(1, 2) - b.select(1, 0)) * (b.select(1, 3) - b.select(1, 1));
  // [N, 1, 2] against [1, M, 2]: top-left and bottom-right corners of the intersections.
  const at::Tensor top_left = at::max(a.slice(1, 0, 2).unsqueeze(1), b.slice(1, 0, 2).unsqueeze(0));
  const at::Tensor bottom_right = at::min(a.slice(1, 2, 4).unsqueeze(1), b.slice(1, 2, 4).unsqueeze(0));
  const at::Tensor extent = (bottom_right - top_left).clamp_min(0);
  const at::Tensor inter = extent.select(2, 0) * extent.select(2, 1);
  const at::Tensor uni = area_a.unsqueeze(1) + area_b.unsqueeze(0) - inter;
  // Degenerate pairs (both empty) have IoU 0, not NaN.
  return at::where(uni.gt(0), inter / uni, at::zeros_like(inter));
}

}  // namespace soho::bench::region
