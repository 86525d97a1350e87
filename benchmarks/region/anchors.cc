#include "benchmarks/region/anchors.h"

#include <cmath>

namespace soho::bench::region {

at::Tensor CellAnchors(const AnchorSpec& spec) {
  std::vector<float> coords;
  for (const double size : spec.sizes) {
    for (const double ratio : spec.aspect_ratios) {
      const double w = std::sqrt(size * size / ratio);
      const double h = ratio * w;
      coords.insert(coords.end(), {static_cast<float>(-w / 2), static_cast<float>(-h / 2),
                                   static_cast<float>(w / 2), static_cast<float>(h / 2)});
    }
  }
  return at::tensor(coords, at::kFloat).view({spec.num_anchors(), 4});
}

at::Tensor GridAnchors(const AnchorSpec& spec, int64_t height, int64_t width, const at::TensorOptions& options) {
  const at::Tensor shift_x = at::arange(width, options) * spec.stride;
  const at::Tensor shift_y = at::arange(height, options) * spec.stride;
  const std::vector<at::Tensor> grid = at::meshgrid({shift_y, shift_x}, "ij");
  const at::Tensor sx = grid[1].reshape(-1);
  const at::Tensor sy = grid[0].reshape(-1);
  const at::Tensor shifts = at::stack({sx, sy, sx, sy}, 1);  // [H*W, 4]
  const at::Tensor cell = CellAnchors(spec).to(options);
  return (shifts.unsqueeze(1) + cell.unsqueeze(0)).reshape({-1, 4});
}

}  // namespace soho::bench::region
