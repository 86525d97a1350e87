#pragma once
// A region-based VQA model (the UNITER / LXMERT / VisualBERT family) for the speedtest:
// bottom-up attention regions -> region features + 5-d box geometry projected to the
// transformer width -> SOHO's own cross-modal transformer and VQA head (soho::model), so
// the two pipelines differ only in how they embed the image.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "benchmarks/region/detector.h"
#include "soho/common/stage_clock.h"
#include "soho/model/bert.h"
#include "soho/model/heads.h"

namespace soho::bench::region {

// Box geometry of region-based models: (x1/W, y1/H, x2/W, y2/H, w*h/(W*H)); boxes [..., 4].
at::Tensor BoxGeometry(const at::Tensor& boxes, int64_t image_height, int64_t image_width);

// LXMERT's VisualFeatEncoder with a 5-d geometry: (LN(fc(feature)) + LN(fc(geometry))) / 2.
class RegionEmbeddingImpl : public torch::nn::Module {
 public:
  RegionEmbeddingImpl(int64_t feature_size, int64_t geometry_size, int64_t hidden_size, double dropout);
  at::Tensor forward(const at::Tensor& features, const at::Tensor& geometry);  // -> [N, K, hidden]

  torch::nn::Linear visn_fc{nullptr}, box_fc{nullptr};
  torch::nn::LayerNorm visn_layer_norm{nullptr}, box_layer_norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(RegionEmbedding);

struct RegionVqaOptions {
  RegionDetectorOptions detector;
  model::BertOptions transformer;
  int64_t vqa_hidden_size = 3072;
  int64_t num_answers = 3129;
  double vqa_dropout = 0.5;
};

struct RegionVqaOutput {
  at::Tensor logits;  // [N, num_answers]
  RegionFeatures regions;
};

class RegionVqaModelImpl : public torch::nn::Module {
 public:
  explicit RegionVqaModelImpl(const RegionVqaOptions& options);

  // images [N, 3, H, W] (image_height x image_width pictures); input_ids, text_mask [N, L].
  // Returns the answer logits and the regions they saw. Marks the detector's stages, then
  // region_embedding and transformer (transformer + VQA head) on `clock` when given.
  RegionVqaOutput forward(const at::Tensor& images, int64_t image_height, int64_t image_width,
                     const at::Tensor& input_ids, const at::Tensor& text_mask, StageClock* clock = nullptr);

  RegionDetector detector{nullptr};
  RegionEmbedding visual{nullptr};
  model::VisualLanguageBert language{nullptr};
  model::VqaHead head{nullptr};
};
TORCH_MODULE(RegionVqaModel);

}  // namespace soho::bench::region
