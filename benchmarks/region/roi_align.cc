#include "benchmarks/region/roi_align.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace soho::region {
namespace {

// First and one-past-last index with a non-zero weight in a [P, size] weight matrix.
std::pair<int64_t, int64_t> NonZeroSpan(const float* weights, int64_t bins, int64_t size) {
  int64_t lo = size;
  int64_t hi = 0;
  for (int64_t p = 0; p < bins; ++p) {
    for (int64_t i = 0; i < size; ++i) {
      if (weights[p * size + i] != 0.0f) {
        lo = std::min(lo, i);
        hi = std::max(hi, i + 1);
      }
    }
  }
  return {lo, hi};
}

}  // namespace

at::Tensor RoiAlignAxisWeights(const at::Tensor& start, const at::Tensor& end, int64_t size,
                               const RoiAlignOptions& options) {
  const at::Tensor starts = start.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor ends = end.to(at::kCPU, at::kDouble).contiguous();
  const int64_t num_rois = starts.size(0);
  const int64_t bins = options.output_size;
  at::Tensor weights = at::zeros({num_rois, bins, size}, at::kFloat);
  float* out = weights.data_ptr<float>();
  const double offset = options.aligned ? 0.5 : 0.0;
  for (int64_t r = 0; r < num_rois; ++r) {
    const double roi_start = starts.data_ptr<double>()[r] * options.spatial_scale - offset;
    double roi_size = ends.data_ptr<double>()[r] * options.spatial_scale - offset - roi_start;
    if (!options.aligned) roi_size = std::max(roi_size, 1.0);
    const double bin_size = roi_size / static_cast<double>(bins);
    const int64_t samples = options.sampling_ratio > 0
                                ? options.sampling_ratio
                                : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(roi_size / bins)));
    for (int64_t p = 0; p < bins; ++p) {
      float* row = out + (r * bins + p) * size;
      for (int64_t s = 0; s < samples; ++s) {
        double pos = roi_start + p * bin_size + (s + 0.5) * bin_size / static_cast<double>(samples);
        if (pos < -1.0 || pos > static_cast<double>(size)) continue;  // outside: contributes 0
        pos = std::max(pos, 0.0);
        int64_t low = static_cast<int64_t>(pos);
        int64_t high = low + 1;
        if (low >= size - 1) {
          low = high = size - 1;
          pos = static_cast<double>(low);
        }
        const double frac = pos - static_cast<double>(low);
        row[low] += static_cast<float>((1.0 - frac) / samples);
        row[high] += static_cast<float>(frac / samples);
      }
    }
  }
  return weights;
}

at::Tensor RoiAlign(const at::Tensor& features, const at::Tensor& rois, const RoiAlignOptions& options) {
  TORCH_CHECK(features.dim() == 4, "features must be [N, C, H, W]");
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "rois must be [R, 5]");
  const int64_t channels = features.size(1);
  const int64_t height = features.size(2);
  const int64_t width = features.size(3);
  const int64_t bins = options.output_size;
  const at::Tensor host_rois = rois.to(at::kCPU, at::kDouble).contiguous();
  const int64_t num_rois = host_rois.size(0);
  const at::Tensor wy = RoiAlignAxisWeights(host_rois.select(1, 2), host_rois.select(1, 4), height, options);
  const at::Tensor wx = RoiAlignAxisWeights(host_rois.select(1, 1), host_rois.select(1, 3), width, options);
  const at::Tensor wy_device = wy.to(features.options());
  const at::Tensor wx_device = wx.to(features.options());

  at::Tensor output = at::zeros({num_rois, channels, bins, bins}, features.options());
  for (int64_t r = 0; r < num_rois; ++r) {
    const auto [y0, y1] = NonZeroSpan(wy.data_ptr<float>() + r * bins * height, bins, height);
    const auto [x0, x1] = NonZeroSpan(wx.data_ptr<float>() + r * bins * width, bins, width);
    if (y0 >= y1 || x0 >= x1) continue;  // entirely outside the map
    const int64_t image = static_cast<int64_t>(host_rois.data_ptr<double>()[r * 5]);
    const int64_t h = y1 - y0;
    const at::Tensor window = features[image].slice(1, y0, y1).slice(2, x0, x1);  // [C, h, w]
    // Two plain matrix products with a long dimension (BLAS-friendly), rather than C tiny
    // ones: columns first ([C*h, w] x [w, P]), then rows ([P, h] x [h, C*P]).
    const at::Tensor by_columns =
        at::matmul(window.reshape({channels * h, x1 - x0}), wx_device[r].slice(1, x0, x1).t());
    const at::Tensor by_rows = at::matmul(wy_device[r].slice(1, y0, y1),
                                          by_columns.view({channels, h, bins}).transpose(0, 1).reshape({h, -1}));
    const at::Tensor pooled = by_rows.view({bins, channels, bins}).transpose(0, 1);  // [C, P, P]
    output[r].copy_(pooled);
  }
  return output;
}

}  // namespace soho::region
