#include "benchmarks/pipelines.h"

#include "benchmarks/region/region_vqa.h"
#include "soho/model/bert.h"
#include "soho/model/heads.h"
#include "soho/model/resnet.h"

namespace soho::bench {
namespace {

proto::ModelConfig VqaConfig(proto::ModelConfig config) {
  config.mutable_neck()->set_kind(proto::NeckConfig::VQA);
  config.mutable_head()->set_kind(proto::HeadConfig::VQA);
  return config;
}

model::ResNetOptions InferenceBackbone(const proto::BackboneConfig& config) {
  model::ResNetOptions options = model::ResNetOptions::FromProto(config);
  options.out_stages = {4};
  options.frozen_stages = 0;
  // zero_init_residual stays on (fresh weights as the model makes them): random residual
  // branches with untrained BatchNorm statistics would grow the activations to inf over
  // ResNet-101's 33 blocks. The convolutions cost the same either way.
  return options;
}

class SohoPipeline : public Pipeline {
 public:
  SohoPipeline(const proto::ModelConfig& config, const at::Device& device)
      : backbone_(InferenceBackbone(config.backbone())),
        neck_(model::NeckOptions::FromProto(config.neck(), backbone_->stage_channels(4))),
        language_(model::BertOptions::FromProto(config.transformer())),
        head_(config.transformer().hidden_size(), config.head().vqa_hidden_size(), config.head().num_answers(),
              config.head().vqa_dropout()) {
    for (torch::nn::Module* module : std::initializer_list<torch::nn::Module*>{
             backbone_.get(), neck_.get(), language_.get(), head_.get()}) {
      module->to(device);
      module->eval();
    }
  }

  PipelineOutput Run(const PipelineInputs& inputs, StageClock* clock) override {
    const at::Tensor c5 = backbone_->forward(inputs.images).back();
    MarkStage(clock, "backbone");
    const model::VisualTokens visual = neck_->forward(c5, inputs.geometry);
    MarkStage(clock, "neck");
    const at::Tensor logits =
        head_->forward(language_->forward(inputs.input_ids, inputs.text_mask, visual.tokens, visual.mask));
    MarkStage(clock, kTransformerStage);
    return {logits, visual.mask};
  }

 private:
  model::ResNet backbone_;
  model::VqaNeck neck_;
  model::VisualLanguageBert language_;
  model::VqaHead head_;
};

class RegionPipeline : public Pipeline {
 public:
  RegionPipeline(const region::RegionVqaOptions& options, const at::Device& device) : model_(options) {
    model_->to(device);
    model_->eval();
  }

  PipelineOutput Run(const PipelineInputs& inputs, StageClock* clock) override {
    const region::RegionVqaOutput out = model_->forward(inputs.images, inputs.image_height, inputs.image_width,
                                                        inputs.input_ids, inputs.text_mask, clock);
    return {out.logits, out.regions.mask};
  }

 private:
  region::RegionVqaModel model_;
};

}  // namespace

PipelineInputs MakeInputs(int64_t batch, int64_t image_height, int64_t image_width, int64_t text_length,
                          int64_t vocab_size, const at::Device& device) {
  constexpr int64_t kSizeDivisor = 32;
  PipelineInputs inputs;
  inputs.image_height = image_height;
  inputs.image_width = image_width;
  inputs.geometry.padded_h = (image_height + kSizeDivisor - 1) / kSizeDivisor * kSizeDivisor;
  inputs.geometry.padded_w = (image_width + kSizeDivisor - 1) / kSizeDivisor * kSizeDivisor;
  inputs.geometry.valid_hw =
      at::tensor(std::vector<int64_t>{image_height, image_width}).repeat({batch, 1}).to(device);
  // A normalized image (zero mean, unit variance) with zero padding, as after the transforms.
  inputs.images = at::zeros({batch, 3, inputs.geometry.padded_h, inputs.geometry.padded_w}, device);
  inputs.images.narrow(2, 0, image_height).narrow(3, 0, image_width).normal_();
  inputs.input_ids = at::randint(1, vocab_size, {batch, text_length}, at::TensorOptions(device).dtype(at::kLong));
  inputs.text_mask = at::ones({batch, text_length}, at::TensorOptions(device).dtype(at::kLong));
  return inputs;
}

std::unique_ptr<Pipeline> MakeSohoPipeline(const proto::ModelConfig& config, const at::Device& device) {
  return std::make_unique<SohoPipeline>(VqaConfig(config), device);
}

std::unique_ptr<Pipeline> MakeRegionPipeline(const proto::ModelConfig& config, const RegionSettings& settings,
                                             const at::Device& device) {
  const proto::ModelConfig vqa = VqaConfig(config);
  region::RegionVqaOptions options;
  options.detector.backbone_depth = vqa.backbone().depth();
  options.detector.rpn.pre_nms_topk = settings.pre_nms_topk;
  options.detector.rpn.post_nms_topk = settings.post_nms_topk;
  if (settings.num_boxes > 0) {
    options.detector.min_boxes = settings.num_boxes;
    options.detector.max_boxes = settings.num_boxes;
  }
  options.transformer = model::BertOptions::FromProto(vqa.transformer());
  options.vqa_hidden_size = vqa.head().vqa_hidden_size();
  options.num_answers = vqa.head().num_answers();
  options.vqa_dropout = vqa.head().vqa_dropout();
  return std::make_unique<RegionPipeline>(options, device);
}

}  // namespace soho::bench
