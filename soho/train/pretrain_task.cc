#include "soho/train/pretrain_task.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "soho/eval/pretrain_metrics.h"

namespace soho::train {

absl::StatusOr<std::unique_ptr<PretrainTask>> PretrainTask::Create(const proto::SohoConfig& config,
                                                                   TaskPlacement placement) {
  if (config.model().head().kind() != proto::HeadConfig::PRETRAIN ||
      config.model().neck().kind() == proto::NeckConfig::VQA) {
    return absl::InvalidArgumentError(
        "model.head.kind / model.neck.kind: pre-training needs a PRETRAIN head and a PRETRAIN(_GATE) neck; "
        "this is a VQA config (use finetune_vqa)");
  }
  SOHO_ASSIGN_OR_RETURN(auto tokenizer, LoadTokenizer(config.data()));
  SOHO_RETURN_IF_ERROR(CheckVocabularyFits(config, *tokenizer));
  SOHO_ASSIGN_OR_RETURN(auto datasets, TaskDatasets<data::PretrainDataset>::Create(config.data(), tokenizer));
  model::SohoPretrainModel net(config.model(), placement.collective);
  net->to(placement.device);
  return std::unique_ptr<PretrainTask>(new PretrainTask(config, placement, std::move(datasets), std::move(net)));
}

PretrainTask::PretrainTask(const proto::SohoConfig& config, TaskPlacement placement,
                           TaskDatasets<data::PretrainDataset> datasets, model::SohoPretrainModel model)
    : DatasetTask(config, placement, std::move(datasets.train), std::move(datasets.val), std::move(datasets.skips)),
      model_(std::move(model)) {}

model::NamedTensors PretrainTask::ForwardLosses() {
  const data::PretrainBatch& b = batch();
  const c10::Device device = placement_.device;
  const model::TextBatch text{b.input_ids.to(device), b.attention_mask.to(device)};
  const model::PretrainTargets targets{b.mlm_labels.to(device), b.itm_labels.to(device)};
  return model_->Losses(ImagesOn(b.image, device), text, targets);
}

absl::StatusOr<Scalars> PretrainTask::Evaluate() {
  if (val() == nullptr) return Scalars{};
  eval::PretrainEvalOptions options = eval::PretrainEvalOptions::FromConfig(config_.data(), config_.runtime().seed());
  options.rank = placement_.rank;
  options.world_size = placement_.world_size;
  SOHO_ASSIGN_OR_RETURN(eval::PretrainTaskMetrics metrics, eval::EvaluatePretrainTasks(model_, *val(), options));
  // Each rank counted its share of the split; the accuracies are over all of it.
  using Metrics = eval::PretrainTaskMetrics;
  static constexpr int64_t Metrics::*kCounts[] = {&Metrics::mlm_correct, &Metrics::mlm_total,
                                                  &Metrics::mvm_correct, &Metrics::mvm_total,
                                                  &Metrics::itm_correct, &Metrics::itm_total,
                                                  &Metrics::itm_swapped_correct, &Metrics::itm_swapped_total};
  std::vector<double> counts;
  for (const auto count : kCounts) counts.push_back(static_cast<double>(metrics.*count));
  SumOverRanks(placement_, counts);
  for (size_t i = 0; i < counts.size(); ++i) metrics.*kCounts[i] = static_cast<int64_t>(counts[i]);
  return Scalars{{"acc_l", metrics.mlm_accuracy()}, {"acc_v", metrics.mvm_accuracy()},
                 {"acc_match", metrics.itm_accuracy()}, {"acc_match_balanced", metrics.itm_balanced_accuracy()}};
}

}  // namespace soho::train
