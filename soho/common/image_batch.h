#pragma once
// The one image-batch type: what the data pipeline collates (soho/data/image) and what the
// models take (soho/model). Common to both so that neither depends on the other.
#include <ATen/core/Tensor.h>

namespace soho {

struct ImageBatch {
  // float [B, 3, H, W]: normalized RGB, zero outside each image's valid area; H and W are
  // the largest resized height/width in the batch rounded up to the size divisor (32 for
  // the models).
  at::Tensor images;
  // int64 [B, 2]: each image's resized (height, width) before padding.
  at::Tensor valid_hw;
};

}  // namespace soho
