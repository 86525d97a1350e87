#include "soho/train/pretrain_task.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"

namespace soho::train {

absl::StatusOr<std::unique_ptr<PretrainTask>> PretrainTask::Create(const proto::SohoConfig& config,
                                                                   TaskPlacement placement,
                                                                   std::shared_ptr<Collective> collective) {
  if (config.model().head().kind() != proto::HeadConfig::PRETRAIN ||
      config.model().neck().kind() == proto::NeckConfig::VQA) {
    return absl::InvalidArgumentError(
        "model.head.kind / model.neck.kind: pre-training needs a PRETRAIN head and a PRETRAIN(_GATE) neck; "
        "this is a VQA config (use finetune_vqa)");
  }
  SOHO_ASSIGN_OR_RETURN(auto tokenizer, LoadTokenizer(config.data()));
  SOHO_RETURN_IF_ERROR(CheckVocabularyFits(config, *tokenizer));
  SOHO_ASSIGN_OR_RETURN(auto datasets, TaskDatasets<data::PretrainDataset>::Create(config.data(), tokenizer));
  model::SohoPretrainModel net(config.model(), std::move(collective));
  net->to(placement.device);
  return std::unique_ptr<PretrainTask>(new PretrainTask(config, placement, std::move(datasets), std::move(net)));
}

PretrainTask::PretrainTask(const proto::SohoConfig& config, TaskPlacement placement,
                           TaskDatasets<data::PretrainDataset> datasets, model::SohoPretrainModel model)
    : DatasetTask(config, placement, std::move(datasets.train), std::move(datasets.val), std::move(datasets.skips)),
      model_(std::move(model)) {}

model::NamedTensors PretrainTask::Losses(const data::PretrainBatch& batch) {
  const c10::Device device = placement_.device;
  const model::TextBatch text{batch.input_ids.to(device), batch.attention_mask.to(device)};
  const model::PretrainTargets targets{batch.mlm_labels.to(device), batch.itm_labels.to(device)};
  return model_->Losses(ImagesOn(batch.image, device), text, targets);
}

model::NamedTensors PretrainTask::ForwardLosses() { return Losses(batch()); }

std::pair<Scalars, int64_t> PretrainTask::EvalMetrics(const data::PretrainBatch& batch) {
  const model::NamedTensors losses = Losses(batch);
  Scalars metrics;
  for (const char* name : {"loss_mlm", "loss_itm", "acc_l", "acc_match"}) {
    metrics[name] = losses.at(name).item<double>();
  }
  return {metrics, batch.input_ids.size(0)};
}

}  // namespace soho::train
