// Both speedtest pipelines on the same tiny inputs: answer logits of the same shape, and
// stages that split into visual embedding and the transformer.
#include "benchmarks/pipelines.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "soho/common/stage_clock.h"
#include "soho/model/soho_model.h"

namespace soho::bench {
namespace {

proto::ModelConfig TinyConfig() {
  proto::ModelConfig config = SpeedtestModelConfig(/*depth=*/18, /*layers=*/1);
  config.mutable_neck()->set_out_channels(32);
  proto::TransformerConfig& transformer = *config.mutable_transformer();
  transformer.set_hidden_size(32);
  transformer.set_num_heads(2);
  transformer.set_intermediate_size(64);
  transformer.set_vocab_size(40);
  config.mutable_head()->set_vqa_hidden_size(24);
  config.mutable_head()->set_num_answers(9);
  return config;
}

std::vector<std::string> StageNames(const StageClock& clock) {
  std::vector<std::string> names;
  for (const auto& [name, seconds] : clock.stages()) names.push_back(name);
  return names;
}

TEST(SpeedtestModelConfigTest, VqaModelOfTheGivenDepthAndLayers) {
  const proto::ModelConfig config = SpeedtestModelConfig(101, 12);
  EXPECT_EQ(config.backbone().depth(), 101);
  EXPECT_EQ(config.transformer().num_layers(), 12);
  EXPECT_EQ(config.transformer().hidden_size(), 768);
  EXPECT_EQ(config.neck().kind(), proto::NeckConfig::VQA);
  EXPECT_EQ(config.head().kind(), proto::HeadConfig::VQA);
  EXPECT_EQ(config.head().num_answers(), 3129);
}

TEST(MakeInputsTest, PaddedImagesAndQuestions) {
  const PipelineInputs inputs = MakeInputs(2, 70, 100, 6, 40, at::kCPU);
  const at::Tensor& images = inputs.images.images;
  EXPECT_EQ(images.sizes(), (at::IntArrayRef{2, 3, 96, 128}));  // padded to multiples of 32
  EXPECT_TRUE(at::equal(inputs.images.valid_hw, at::tensor(std::vector<int64_t>{70, 100, 70, 100}).view({2, 2})));
  EXPECT_TRUE(images.narrow(2, 70, 26).eq(0).all().item<bool>());
  EXPECT_TRUE(images.narrow(3, 100, 28).eq(0).all().item<bool>());
  EXPECT_EQ(inputs.text.input_ids.sizes(), (at::IntArrayRef{2, 6}));
  EXPECT_TRUE(inputs.text.input_ids.ge(1).logical_and(inputs.text.input_ids.lt(40)).all().item<bool>());
}

TEST(PipelinesTest, SameInputsSameAnswerShapeSeparatedStages) {
  at::manual_seed(0);
  c10::InferenceMode guard;
  const PipelineInputs inputs = MakeInputs(2, 64, 96, 5, 40, at::kCPU);
  StageClock clock(at::kCPU);

  model::SohoVqaModel model(TinyConfig());
  const auto soho = MakeSohoPipeline(model, at::kCPU);
  clock.Start();
  const PipelineOutput soho_out = soho->Run(inputs, &clock);
  EXPECT_EQ(soho_out.logits.sizes(), (at::IntArrayRef{2, 9}));
  // Stage by stage, the pipeline (BatchNorms folded) computes what the model's forward computes.
  EXPECT_TRUE(at::allclose(soho_out.logits, model->forward(inputs.images, inputs.text), 1e-4, 1e-5));
  // 64 x 96 -> C5 2 x 3 -> 2x2 max-pool -> 1 grid cell per image.
  EXPECT_EQ(soho_out.visual_mask.sizes(), (at::IntArrayRef{2, 1}));
  EXPECT_EQ(StageNames(clock), (std::vector<std::string>{"backbone", "neck", kTransformerStage}));

  RegionSettings settings;
  settings.num_boxes = 3;
  settings.pre_nms_topk = 100;
  settings.post_nms_topk = 20;
  const auto region = MakeRegionPipeline(TinyConfig(), settings, at::kCPU);
  clock.Start();
  const PipelineOutput region_out = region->Run(inputs, &clock);
  EXPECT_EQ(region_out.logits.sizes(), (at::IntArrayRef{2, 9}));
  EXPECT_TRUE(at::equal(region_out.visual_mask, at::ones({2, 3})));
  EXPECT_EQ(StageNames(clock).back(), kTransformerStage);
  EXPECT_EQ(StageNames(clock).size(), 7u);
}

}  // namespace
}  // namespace soho::bench
