#include "benchmarks/region/roi_align.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace soho::bench::region {
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

  struct Window {
    int64_t roi, image, y0, h, x0, w;
  };
  std::vector<Window> windows;
  for (int64_t r = 0; r < num_rois; ++r) {
    const auto [y0, y1] = NonZeroSpan(wy.data_ptr<float>() + r * bins * height, bins, height);
    const auto [x0, x1] = NonZeroSpan(wx.data_ptr<float>() + r * bins * width, bins, width);
    if (y0 >= y1 || x0 >= x1) continue;  // entirely outside the map: stays 0
    windows.push_back({r, static_cast<int64_t>(host_rois.data_ptr<double>()[r * 5]), y0, y1 - y0, x0, x1 - x0});
  }
  // Similar sizes together, so that padding each group to its largest window wastes little.
  std::sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) { return a.h * a.w < b.h * b.w; });

  // Channels last: a window's cells are then rows of C contiguous values.
  const at::Tensor cells = features.permute({0, 2, 3, 1}).contiguous();  // [N, H, W, C]
  const at::TensorOptions index_options = at::TensorOptions(features.device()).dtype(at::kLong);
  // Written channels last ([R, P, P, C] rows, whole rows per RoI) and returned as a
  // channels-last [R, C, P, P] view: no transposing copy, and the res5 convolutions that
  // consume it take that layout directly.
  at::Tensor output = at::zeros({num_rois, bins, bins, channels}, features.options());
  // Groups of RoIs are pooled together with batched matrix products. A group's gathered
  // windows are capped at 16 MB so that every temporary stays below glibc's largest mmap
  // threshold (32 MB): the allocator then reuses freed memory instead of mapping (and
  // page-faulting) fresh pages for each group, which was measured to cost 10x the arithmetic.
  constexpr int64_t kGroupElements = int64_t{1} << 22;
  constexpr size_t kGroupRois = 64;
  for (size_t begin = 0; begin < windows.size();) {
    size_t end = begin;
    int64_t h = 0, w = 0;
    while (end < windows.size() && end - begin < kGroupRois) {
      const int64_t next_h = std::max(h, windows[end].h), next_w = std::max(w, windows[end].w);
      if (end > begin && static_cast<int64_t>(end - begin + 1) * next_h * next_w * channels > kGroupElements) break;
      h = next_h;
      w = next_w;
      ++end;
    }
    const int64_t count = static_cast<int64_t>(end - begin);
    std::vector<int64_t> ids, images, row_starts, col_starts;
    std::vector<at::Tensor> row_weights, col_weights;
    for (size_t i = begin; i < end; ++i) {
      const Window& win = windows[i];
      // The padded window, shifted back inside the map where it would overhang; the
      // weights are 0 on the cells it adds.
      const int64_t ys = std::min(win.y0, height - h);
      const int64_t xs = std::min(win.x0, width - w);
      ids.push_back(win.roi);
      images.push_back(win.image);
      row_starts.push_back(ys);
      col_starts.push_back(xs);
      row_weights.push_back(wy[win.roi].slice(1, ys, ys + h));
      col_weights.push_back(wx[win.roi].slice(1, xs, xs + w));
    }
    const at::Tensor rows = at::tensor(row_starts, index_options).view({count, 1}) + at::arange(h, index_options);
    const at::Tensor cols = at::tensor(col_starts, index_options).view({count, 1}) + at::arange(w, index_options);
    const at::Tensor image = at::tensor(images, index_options).view({count, 1, 1});
    const at::Tensor gathered = cells.index({image, rows.view({count, h, 1}), cols.view({count, 1, w})});  // [G,h,w,C]
    const at::Tensor wy_group = at::stack(row_weights).to(features.options());  // [G, P, h]
    const at::Tensor wx_group = at::stack(col_weights).to(features.options());  // [G, P, w]
    // Columns: [P, w] x [w, C] per window row -> [G, h, P, C]; rows: [P, h] x [h, P*C].
    const at::Tensor by_columns = at::matmul(wx_group.unsqueeze(1), gathered);
    const at::Tensor by_rows = at::bmm(wy_group, by_columns.reshape({count, h, bins * channels}));
    output.index_copy_(0, at::tensor(ids, index_options), by_rows.view({count, bins, bins, channels}));
    begin = end;
  }
  return output.permute({0, 3, 1, 2});
}

}  // namespace soho::bench::region
