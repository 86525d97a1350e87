#include "benchmarks/pretrain_workload.h"

#include <ATen/ATen.h>

#include "soho/proto/config_loader.h"

namespace soho::bench {

const PretrainSetting& Res18Setting() {
  static const PretrainSetting setting{"res18", "configs/pretrain/soho_res18_pre.pbtxt", {2, 600, 1000, 4, 16}};
  return setting;
}

const PretrainSetting& TinySetting() {
  static const PretrainSetting setting{"tiny", "configs/tiny/pretrain.pbtxt", {8, 160, 224, 2, 16}};
  return setting;
}

absl::StatusOr<proto::SohoConfig> LoadBenchmarkConfig(const std::string& path) {
  proto::ValidateOptions options;
  options.check_files = false;
  return proto::LoadConfig(path, {}, options);
}

PretrainWorkload MakePretrainWorkload(const proto::ModelConfig& config, const PretrainShape& shape) {
  torch::manual_seed(0);
  PretrainWorkload work;
  work.model = model::SohoPretrainModel(config);
  work.model->train();
  const int64_t padded_h = (shape.height + 31) / 32 * 32, padded_w = (shape.width + 31) / 32 * 32;
  work.images.images = at::zeros({shape.images, 3, padded_h, padded_w});
  work.images.images.narrow(2, 0, shape.height).narrow(3, 0, shape.width).normal_();
  work.images.valid_hw = at::tensor({shape.height, shape.width}, at::kLong).repeat({shape.images, 1});
  const int64_t rows = shape.images * shape.captions;
  const int64_t vocab = config.transformer().vocab_size();
  work.text.input_ids = at::randint(1, vocab, {rows, shape.length}, at::kLong);
  work.text.attention_mask = at::ones({rows, shape.length}, at::kLong);
  const at::Tensor masked = at::rand({rows, shape.length}).lt(0.15);
  work.targets.mlm_labels =
      at::where(masked, work.text.input_ids, at::full_like(work.text.input_ids, -100));
  work.targets.itm_labels = at::randint(0, 2, {rows}, at::kLong);
  return work;
}

}  // namespace soho::bench
