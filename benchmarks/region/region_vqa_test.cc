// The region-based pipeline end to end on a tiny input and a tiny configuration: output
// shapes, region counts, box ranges, the stages it reports, and the box geometry.
#include "benchmarks/region/region_vqa.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "soho/common/stage_clock.h"

namespace soho::bench::region {
namespace {

RegionVqaOptions TinyOptions(int64_t min_boxes, int64_t max_boxes) {
  RegionVqaOptions options;
  options.detector.backbone_depth = 18;
  options.detector.rpn.hidden_channels = 16;
  options.detector.rpn.pre_nms_topk = 100;
  options.detector.rpn.post_nms_topk = 20;
  options.detector.roi_align.output_size = 4;
  options.detector.predictor.num_classes = 11;
  options.detector.predictor.num_attributes = 5;
  options.detector.predictor.class_embedding_size = 8;
  options.detector.predictor.attribute_hidden_size = 16;
  options.detector.min_boxes = min_boxes;
  options.detector.max_boxes = max_boxes;
  options.transformer.vocab_size = 50;
  options.transformer.hidden_size = 32;
  options.transformer.num_layers = 1;
  options.transformer.num_heads = 2;
  options.transformer.intermediate_size = 64;
  options.vqa_hidden_size = 24;
  options.num_answers = 7;
  return options;
}

TEST(BoxGeometryTest, NormalizedCornersAndArea) {
  const at::Tensor boxes = at::tensor(std::vector<float>{10, 20, 30, 60}).view({1, 1, 4});
  // W 50, H 100: x 10/50, y 20/100, x 30/50, y 60/100; area 0.4 * 0.4.
  const at::Tensor expected = at::tensor(std::vector<float>{0.2f, 0.2f, 0.6f, 0.6f, 0.16f}).view({1, 1, 5});
  EXPECT_TRUE(at::allclose(BoxGeometry(boxes, 100, 50), expected));
}

TEST(RegionVqaModelTest, FixedRegionCountShapesAndStages) {
  at::manual_seed(0);
  RegionVqaModel model(TinyOptions(4, 4));
  model->eval();
  c10::InferenceMode guard;
  // Two 64 x 96 images: a 4 x 6 C4 map (288 anchors).
  const at::Tensor images = at::randn({2, 3, 64, 96});
  const at::Tensor ids = at::randint(1, 50, {2, 5});
  const at::Tensor text_mask = at::ones({2, 5});

  const RegionFeatures regions = model->detector->forward(images, 64, 96);
  EXPECT_EQ(regions.features.sizes(), (at::IntArrayRef{2, 4, 512}));  // ResNet-18 layer4 width
  EXPECT_EQ(regions.boxes.sizes(), (at::IntArrayRef{2, 4, 4}));
  EXPECT_TRUE(at::equal(regions.mask, at::ones({2, 4})));
  EXPECT_TRUE(regions.boxes.ge(0).all().item<bool>());
  EXPECT_TRUE(regions.boxes.select(2, 2).le(96).all().item<bool>());
  EXPECT_TRUE(regions.boxes.select(2, 3).le(64).all().item<bool>());

  StageClock clock(at::kCPU);
  clock.Start();
  const RegionVqaOutput out = model->forward(images, 64, 96, ids, text_mask, &clock);
  EXPECT_EQ(out.logits.sizes(), (at::IntArrayRef{2, 7}));
  EXPECT_TRUE(out.logits.isfinite().all().item<bool>());
  EXPECT_TRUE(at::equal(out.regions.mask, regions.mask));
  std::vector<std::string> names;
  for (const auto& [name, seconds] : clock.stages()) {
    names.push_back(name);
    EXPECT_GE(seconds, 0.0);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"c4_backbone", "rpn", "roi_align", "res5_head", "class_nms",
                                             "region_embedding", "transformer"}));
}

TEST(RegionVqaModelTest, AdaptiveRegionCountIsPaddedAndMasked) {
  at::manual_seed(1);
  RegionVqaModel model(TinyOptions(2, 6));
  model->eval();
  c10::InferenceMode guard;
  const RegionFeatures regions = model->detector->forward(at::randn({3, 3, 64, 96}), 64, 96);
  const at::Tensor counts = regions.mask.sum(1);
  EXPECT_TRUE(counts.ge(2).all().item<bool>());
  EXPECT_TRUE(counts.le(6).all().item<bool>());
  EXPECT_EQ(regions.features.size(1), counts.max().item<float>());
  // Padding rows are zero.
  const at::Tensor padded = regions.features.masked_select(regions.mask.unsqueeze(2).logical_not());
  EXPECT_TRUE(padded.eq(0).all().item<bool>());
}

}  // namespace
}  // namespace soho::bench::region
