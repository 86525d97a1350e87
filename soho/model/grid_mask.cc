#include "soho/model/grid_mask.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>

namespace soho::model {
namespace {

// PyTorch's nearest source index (upsample_nearest2d, no explicit scale): float arithmetic.
at::Tensor NearestSourceIndices(int64_t input_size, int64_t output_size, at::Device device) {
  std::vector<int64_t> source(output_size);
  const float scale = static_cast<float>(input_size) / static_cast<float>(output_size);
  for (int64_t i = 0; i < output_size; ++i) {
    const int64_t nearest = static_cast<int64_t>(std::floor(static_cast<float>(i) * scale));
    source[i] = std::min(nearest, input_size - 1);
  }
  return at::tensor(source, at::kLong).to(device);
}

}  // namespace

at::Tensor GridValidMask(const at::Tensor& valid_hw, int64_t padded_h, int64_t padded_w,
                         int64_t grid_h, int64_t grid_w) {
  TORCH_CHECK(valid_hw.dim() == 2 && valid_hw.size(1) == 2, "valid_hw must be [B, 2], got ",
              valid_hw.sizes());
  const at::Device device = valid_hw.device();
  const at::Tensor rows = NearestSourceIndices(padded_h, grid_h, device);
  const at::Tensor cols = NearestSourceIndices(padded_w, grid_w, device);
  const at::Tensor valid_h = valid_hw.select(1, 0).view({-1, 1, 1});
  const at::Tensor valid_w = valid_hw.select(1, 1).view({-1, 1, 1});
  return rows.view({1, -1, 1}).lt(valid_h).logical_and(cols.view({1, 1, -1}).lt(valid_w));
}

}  // namespace soho::model
