#include "soho/train/vqa_task.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "soho/eval/vqa_official_files.h"
#include "soho/eval/vqa_predictions.h"
#include "soho/eval/vqa_predictor.h"

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
  SOHO_ASSIGN_OR_RETURN(auto ground_truth, eval::ReadSplitGroundTruth(config.data().val()));
  model::SohoVqaModel net(config.model());
  net->to(placement.device);
  return std::unique_ptr<VqaTask>(
      new VqaTask(config, placement, std::move(datasets), std::move(net), std::move(ground_truth)));
}

VqaTask::VqaTask(const proto::SohoConfig& config, TaskPlacement placement, TaskDatasets<data::VqaDataset> datasets,
                 model::SohoVqaModel model, std::optional<std::vector<eval::VqaGroundTruth>> val_ground_truth)
    : DatasetTask(config, placement, std::move(datasets.train), std::move(datasets.val), std::move(datasets.skips)),
      model_(std::move(model)),
      val_ground_truth_(std::move(val_ground_truth)) {}

model::NamedTensors VqaTask::ForwardLosses() {
  const data::VqaBatch& b = batch();
  const c10::Device device = placement_.device;
  const model::TextBatch text{b.input_ids.to(device), b.attention_mask.to(device)};
  return model_->Losses(ImagesOn(b.image, device), text, b.targets.to(device));
}

absl::StatusOr<Scalars> VqaTask::Evaluate() {
  if (val() == nullptr) return Scalars{};
  eval::VqaPredictorOptions options = eval::VqaPredictorOptions::FromConfig(config_.data());
  options.rank = placement_.rank;
  options.world_size = placement_.world_size;
  SOHO_ASSIGN_OR_RETURN(eval::VqaSplitPredictions out, eval::PredictVqaSplit(model_, *val(), options));
  // Each rank scored its share of the questions; the soft score is over all of them.
  const double answered = static_cast<double>(out.predictions.size());
  std::vector<double> totals = {out.soft_score * answered, answered};
  SumOverRanks(placement_, totals);
  Scalars metrics{{"vqa_score", totals[1] > 0 ? totals[0] / totals[1] : 0.0}};
  // The official metric needs every annotated question answered (one rank, no bad image):
  // distributed runs log the soft score only; `eval` gives the official one afterwards.
  if (val_ground_truth_ && placement_.world_size == 1 && out.skipped_questions == 0) {
    SOHO_ASSIGN_OR_RETURN(eval::VqaAccuracy accuracy,
                          eval::ScoreVqa(*val_ground_truth_, eval::ToVqaResults(out.predictions),
                                         eval::VqaEvalRules::kRelease2017));
    metrics["vqa_accuracy"] = accuracy.overall;
    for (const auto& [type, value] : accuracy.per_answer_type) {
      metrics[absl::StrCat("vqa_accuracy_", absl::StrReplaceAll(type, {{"/", "_"}}))] = value;
    }
  }
  return metrics;
}

}  // namespace soho::train
