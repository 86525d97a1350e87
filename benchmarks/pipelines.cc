#include "benchmarks/pipelines.h"

#include <vector>

#include "benchmarks/region/region_vqa.h"
#include "soho/model/bert.h"

namespace soho::bench {
namespace {

// Both pipelines answer as `eval` does: eval mode, every BatchNorm folded into its conv.
class SohoPipeline : public Pipeline {
 public:
  SohoPipeline(model::SohoVqaModel model, const at::Device& device) {
    model->to(device);
    model->eval();
    model_ = model->FoldedForInference();
  }

  PipelineOutput Run(const PipelineInputs& inputs, StageClock* clock) override {
    const at::Tensor c5 = model_->BackboneFeatures(inputs.images);
    MarkStage(clock, "backbone");
    const model::VisualTokens visual = model_->EmbedFeatures(c5, inputs.images, /*rows_per_image=*/1);
    MarkStage(clock, "neck");
    const at::Tensor logits = model_->Answer(inputs.text, visual);
    MarkStage(clock, kTransformerStage);
    return {logits, visual.mask};
  }

 private:
  model::SohoVqaModel model_{nullptr};
};

class RegionPipeline : public Pipeline {
 public:
  RegionPipeline(const region::RegionVqaOptions& options, const at::Device& device) : model_(options) {
    model_->to(device);
    model_->eval();
    model_->detector->backbone->FoldBatchNorms();  // stem..layer3 and the res5 head alike
  }

  PipelineOutput Run(const PipelineInputs& inputs, StageClock* clock) override {
    const region::RegionVqaOutput out =
        model_->forward(inputs.images.images, inputs.image_height, inputs.image_width, inputs.text.input_ids,
                        inputs.text.attention_mask, clock);
    return {out.logits, out.regions.mask};
  }

 private:
  region::RegionVqaModel model_;
};

}  // namespace

PipelineInputs MakeInputs(int64_t batch, int64_t image_height, int64_t image_width, int64_t text_length,
                          int64_t vocab_size, const at::Device& device) {
  constexpr int64_t kSizeDivisor = 32;
  const int64_t padded_h = (image_height + kSizeDivisor - 1) / kSizeDivisor * kSizeDivisor;
  const int64_t padded_w = (image_width + kSizeDivisor - 1) / kSizeDivisor * kSizeDivisor;
  PipelineInputs inputs;
  inputs.image_height = image_height;
  inputs.image_width = image_width;
  // A normalized image (zero mean, unit variance) with zero padding, as after the transforms.
  inputs.images.images = at::zeros({batch, 3, padded_h, padded_w}, device);
  inputs.images.images.narrow(2, 0, image_height).narrow(3, 0, image_width).normal_();
  inputs.images.valid_hw = at::tensor(std::vector<int64_t>{image_height, image_width}).repeat({batch, 1}).to(device);
  const at::TensorOptions ids = at::TensorOptions(device).dtype(at::kLong);
  inputs.text.input_ids = at::randint(1, vocab_size, {batch, text_length}, ids);
  inputs.text.attention_mask = at::ones({batch, text_length}, ids);
  return inputs;
}

proto::ModelConfig SpeedtestModelConfig(int depth, int layers) {
  proto::ModelConfig config;
  config.mutable_backbone()->set_depth(depth);
  config.mutable_neck()->set_kind(proto::NeckConfig::VQA);
  config.mutable_transformer()->set_num_layers(layers);
  config.mutable_head()->set_kind(proto::HeadConfig::VQA);
  return config;
}

std::unique_ptr<Pipeline> MakeSohoPipeline(model::SohoVqaModel model, const at::Device& device) {
  return std::make_unique<SohoPipeline>(std::move(model), device);
}

std::unique_ptr<Pipeline> MakeRegionPipeline(const proto::ModelConfig& config, const RegionSettings& settings,
                                             const at::Device& device) {
  region::RegionVqaOptions options;
  options.detector.backbone_depth = config.backbone().depth();
  options.detector.rpn.pre_nms_topk = settings.pre_nms_topk;
  options.detector.rpn.post_nms_topk = settings.post_nms_topk;
  if (settings.num_boxes > 0) {
    options.detector.min_boxes = settings.num_boxes;
    options.detector.max_boxes = settings.num_boxes;
  }
  options.transformer = model::BertOptions::FromProto(config.transformer());
  options.vqa_hidden_size = config.head().vqa_hidden_size();
  options.num_answers = config.head().num_answers();
  options.vqa_dropout = config.head().vqa_dropout();
  return std::make_unique<RegionPipeline>(options, device);
}

}  // namespace soho::bench
