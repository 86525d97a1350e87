#pragma once
// The two VQA inference pipelines the speedtest compares, built from one model config so
// they share the transformer and VQA head and differ only in how the image is embedded:
//   SOHO:   ResNet on the whole image -> VQA neck -> transformer -> VQA head
//   region: C4 Faster R-CNN regions -> region embedding -> transformer -> VQA head
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>

#include "soho/common/stage_clock.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"

namespace soho::bench {

// One batch of identical-shape inputs for both pipelines: normalized images padded to a
// multiple of 32 and a question of `text_length` tokens per image.
struct PipelineInputs {
  ImageBatch images;  // [N, 3, padded_h, padded_w], each image image_height x image_width
  model::TextBatch text;     // [N, L]
  int64_t image_height = 0;
  int64_t image_width = 0;
};

PipelineInputs MakeInputs(int64_t batch, int64_t image_height, int64_t image_width, int64_t text_length,
                          int64_t vocab_size, const at::Device& device);

// The name of the stage that runs the transformer and VQA head; every other stage embeds
// the image.
inline constexpr char kTransformerStage[] = "transformer";

struct PipelineOutput {
  at::Tensor logits;       // [N, num_answers]
  at::Tensor visual_mask;  // [N, V]: which of the V visual tokens (grid cells / regions) are real
};

class Pipeline {
 public:
  virtual ~Pipeline() = default;
  // Answers the questions; marks the pipeline's stages on `clock`.
  virtual PipelineOutput Run(const PipelineInputs& inputs, StageClock* clock) = 0;
};

// The VQA model config of both pipelines: the defaults (BERT-base width, 3129 answers) with
// a ResNet of `depth` and `layers` transformer layers.
proto::ModelConfig SpeedtestModelConfig(int depth, int layers);

// Runs `model` stage by stage through its staged API (BackboneFeatures, EmbedFeatures,
// Answer: what SohoVqaModel::forward runs). The model is moved to `device` and put in eval mode.
std::unique_ptr<Pipeline> MakeSohoPipeline(model::SohoVqaModel model, const at::Device& device);

struct RegionSettings {
  // Regions per image: a fixed count (bottom-up attention's "36 per image"), or 0 for the
  // adaptive 10..100 above the confidence threshold.
  int64_t num_boxes = 36;
  int64_t pre_nms_topk = 6000;
  int64_t post_nms_topk = 300;
};

// The region-based pipeline with `config`'s backbone depth, transformer and VQA head, random
// weights, in eval mode on `device`.
std::unique_ptr<Pipeline> MakeRegionPipeline(const proto::ModelConfig& config, const RegionSettings& settings,
                                             const at::Device& device);

}  // namespace soho::bench
