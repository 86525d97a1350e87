#include "benchmarks/region/region_vqa.h"

namespace soho::bench::region {

at::Tensor BoxGeometry(const at::Tensor& boxes, int64_t image_height, int64_t image_width) {
  const at::Tensor x1 = boxes.select(-1, 0) / image_width;
  const at::Tensor y1 = boxes.select(-1, 1) / image_height;
  const at::Tensor x2 = boxes.select(-1, 2) / image_width;
  const at::Tensor y2 = boxes.select(-1, 3) / image_height;
  return at::stack({x1, y1, x2, y2, (x2 - x1) * (y2 - y1)}, -1);
}

RegionEmbeddingImpl::RegionEmbeddingImpl(int64_t feature_size, int64_t geometry_size, int64_t hidden_size,
                                         double dropout_rate)
    : visn_fc(register_module("visn_fc", torch::nn::Linear(feature_size, hidden_size))),
      box_fc(register_module("box_fc", torch::nn::Linear(geometry_size, hidden_size))),
      visn_layer_norm(register_module(
          "visn_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden_size}).eps(1e-12)))),
      box_layer_norm(register_module(
          "box_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden_size}).eps(1e-12)))),
      dropout(register_module("dropout", torch::nn::Dropout(dropout_rate))) {}

at::Tensor RegionEmbeddingImpl::forward(const at::Tensor& features, const at::Tensor& geometry) {
  // LibTorch 1.13's CPU autocast leaves LayerNorm alone, and its weights are fp32: under bf16
  // autocast it gets the Linear's output back in fp32 (the transformer's LayerNorms get fp32
  // from their residual sums).
  const at::ScalarType dtype = visn_layer_norm->weight.scalar_type();
  const at::Tensor x = visn_layer_norm->forward(visn_fc->forward(features).to(dtype));
  const at::Tensor y = box_layer_norm->forward(box_fc->forward(geometry).to(dtype));
  return dropout->forward((x + y) / 2);
}

RegionVqaModelImpl::RegionVqaModelImpl(const RegionVqaOptions& options) {
  detector = register_module("detector", RegionDetector(options.detector));
  const int64_t hidden = options.transformer.hidden_size;
  visual = register_module("visual", RegionEmbedding(detector->backbone->stage_channels(4), 5, hidden,
                                                     options.transformer.hidden_dropout));
  language = register_module("language", model::VisualLanguageBert(options.transformer));
  head = register_module(
      "head", model::VqaHead(hidden, options.vqa_hidden_size, options.num_answers, options.vqa_dropout));
  model::InitBertWeights(*visual);
  model::InitBertWeights(*language);
}

RegionVqaOutput RegionVqaModelImpl::forward(const at::Tensor& images, int64_t image_height, int64_t image_width,
                                       const at::Tensor& input_ids, const at::Tensor& text_mask,
                                       StageClock* clock) {
  RegionVqaOutput out;
  out.regions = detector->forward(images, image_height, image_width, clock);
  const at::Tensor tokens =
      visual->forward(out.regions.features, BoxGeometry(out.regions.boxes, image_height, image_width));
  MarkStage(clock, "region_embedding");
  out.logits = head->forward(language->forward(input_ids, text_mask, tokens, out.regions.mask));
  MarkStage(clock, "transformer");
  return out;
}

}  // namespace soho::bench::region
