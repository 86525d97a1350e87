#include "soho/train/vqa_task.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"

namespace soho::train {

absl::StatusOr<std::unique_ptr<VqaTask>> VqaTask::Create(const proto::SohoConfig& config, TaskPlacement placement) {
  if (config.model().head().kind() != proto::HeadConfig::VQA || config.model().neck().kind() != proto::NeckConfig::VQA) {
    return absl::InvalidArgumentError(
        "model.head.kind / model.neck.kind: VQA fine-tuning needs a VQA head and a VQA neck; "
        "this is a pre-training config (use pretrain)");
  }
  SOHO_ASSIGN_OR_RETURN(auto tokenizer, LoadTokenizer(config.data()));
  SOHO_RETURN_IF_ERROR(CheckVocabularyFits(config, *tokenizer));
  SOHO_ASSIGN_OR_RETURN(auto datasets, TaskDatasets<data::VqaDataset>::Create(config.data(), tokenizer));
  if (datasets.train->num_answers() != config.model().head().num_answers()) {
    return absl::InvalidArgumentError(absl::StrCat("model.head.num_answers is ", config.model().head().num_answers(),
                                                   " but ", datasets.train->name(), " has ",
                                                   datasets.train->num_answers(), " answers"));
  }
  model::SohoVqaModel net(config.model());
  net->to(placement.device);
  return std::unique_ptr<VqaTask>(new VqaTask(config, placement, std::move(datasets), std::move(net)));
}

VqaTask::VqaTask(const proto::SohoConfig& config, TaskPlacement placement, TaskDatasets<data::VqaDataset> datasets,
                 model::SohoVqaModel model)
    : DatasetTask(config, placement, std::move(datasets.train), std::move(datasets.val), std::move(datasets.skips)),
      model_(std::move(model)) {}

model::NamedTensors VqaTask::Losses(const data::VqaBatch& batch) {
  const c10::Device device = placement_.device;
  const model::TextBatch text{batch.input_ids.to(device), batch.attention_mask.to(device)};
  return model_->Losses(ImagesOn(batch.image, device), text, batch.targets.to(device));
}

model::NamedTensors VqaTask::ForwardLosses() { return Losses(batch()); }

std::pair<Scalars, int64_t> VqaTask::EvalMetrics(const data::VqaBatch& batch) {
  const model::NamedTensors losses = Losses(batch);
  return {{{"loss", losses.at("loss").item<double>()}, {"vqa_score", 100.0 * losses.at("score").item<double>()}},
          batch.input_ids.size(0)};
}

}  // namespace soho::train
