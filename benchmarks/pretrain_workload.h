#pragma once
// The pre-training workloads the model and training-step benchmarks time: the released res18
// setting and the tiny CPU setting, each a config file plus batch shape, and the random
// batch (images, captions, targets) built for one.
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"

namespace soho::bench {

struct PretrainShape {
  int64_t images = 0;    // images per batch
  int64_t height = 0;    // each image's valid size; the batch is padded to multiples of 32
  int64_t width = 0;
  int64_t captions = 0;  // captions per image (the sentence group)
  int64_t length = 0;    // tokens per caption
};

struct PretrainSetting {
  std::string name;
  std::string config_path;  // relative to the repository root
  PretrainShape shape;
};

// configs/pretrain/soho_res18_pre.pbtxt: 2 images x 4 captions, 600x1000, 16 tokens.
const PretrainSetting& Res18Setting();
// configs/tiny/pretrain.pbtxt: 8 images x 2 captions, 160x224, 16 tokens.
const PretrainSetting& TinySetting();

// The config at `path` with defaults filled in; the files it names (datasets, weights) need
// not exist, since benchmarks use random inputs and weights.
absl::StatusOr<proto::SohoConfig> LoadBenchmarkConfig(const std::string& path);

struct PretrainWorkload {
  model::SohoPretrainModel model{nullptr};
  ImageBatch images;
  model::TextBatch text;
  model::PretrainTargets targets;
};

// A freshly initialized model (seed 0, training mode) and a random batch: images of valid
// size height x width (normal noise, zero padding), captions of random non-padding tokens
// with 15% of them MLM targets, and random match labels.
PretrainWorkload MakePretrainWorkload(const proto::ModelConfig& config, const PretrainShape& shape);

}  // namespace soho::bench
