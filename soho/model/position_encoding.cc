#include "soho/model/position_encoding.h"

#include <cmath>

#include <ATen/ATen.h>

namespace soho::model {
namespace {

// [B, h, w] normalized cumulative positions -> [B, h, w, dim] interleaved sin/cos.
at::Tensor Encode(const at::Tensor& embed, const at::Tensor& dim_t) {
  const at::Tensor angles = embed.unsqueeze(-1) / dim_t;
  const int64_t dim = angles.size(3);
  const at::Tensor sin = angles.slice(3, 0, dim, 2).sin();
  const at::Tensor cos = angles.slice(3, 1, dim, 2).cos();
  return at::stack({sin, cos}, 4).flatten(3);
}

}  // namespace

at::Tensor SinePositionEncoding(const at::Tensor& grid_mask, int64_t channels) {
  TORCH_CHECK(grid_mask.dim() == 3, "grid mask must be [B, h, w], got ", grid_mask.sizes());
  TORCH_CHECK(channels % 4 == 0, "position encoding channels must be a multiple of 4, got ",
              channels);
  constexpr double kEps = 1e-6;
  const double two_pi = 2 * M_PI;
  const at::Tensor mask = grid_mask.to(at::kFloat);
  at::Tensor y_embed = mask.cumsum(1);
  at::Tensor x_embed = mask.cumsum(2);
  y_embed = y_embed / (y_embed.narrow(1, -1, 1) + kEps) * two_pi;
  x_embed = x_embed / (x_embed.narrow(2, -1, 1) + kEps) * two_pi;

  const int64_t half = channels / 2;
  const at::Tensor k = at::arange(half, mask.options());
  const at::Tensor dim_t = at::pow(10000.0, 2 * at::floor_divide(k, 2) / half);
  return at::cat({Encode(y_embed, dim_t), Encode(x_embed, dim_t)}, 3).permute({0, 3, 1, 2});
}

}  // namespace soho::model
