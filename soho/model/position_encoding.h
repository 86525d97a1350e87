#pragma once
// DETR-style 2-D sine position encoding of a feature grid, normalized by each image's valid
// extent (so a position's code depends on where it sits inside its own image).
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace soho::model {

// grid_mask [B, h, w] (bool or 0/1): valid cells. Returns [B, channels, h, w] float:
// channels/2 for y then channels/2 for x; for each axis, with e = cumulative count of valid
// cells along the axis divided by the count along the whole row/column (+1e-6), times 2*pi,
// and d_k = 10000^(2*floor(k/2)/(channels/2)): [sin(e/d_0), cos(e/d_1), sin(e/d_2), ...].
at::Tensor SinePositionEncoding(const at::Tensor& grid_mask, int64_t channels);

}  // namespace soho::model
