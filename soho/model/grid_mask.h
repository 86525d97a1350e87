#pragma once
// Which cells of a feature grid lie inside each image's valid (non-padded) area.
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace soho::model {

// valid_hw [B, 2] int64: each image's height and width before padding to
// (padded_h, padded_w). Returns [B, grid_h, grid_w] bool: the pixel valid mask downsampled
// with PyTorch's `nearest` rule, i.e. cell (i, j) reads pixel
// (min(floor(i * s_h), padded_h - 1), min(floor(j * s_w), padded_w - 1)) with the float
// scale s = padded / grid, exactly as F.interpolate(mask, size=(grid_h, grid_w)).
// Only [grid_h + grid_w] source indices are computed; the pixel mask is never built.
at::Tensor GridValidMask(const at::Tensor& valid_hw, int64_t padded_h, int64_t padded_w,
                         int64_t grid_h, int64_t grid_w);

}  // namespace soho::model
