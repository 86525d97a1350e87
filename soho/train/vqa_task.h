#pragma once
// VQA fine-tuning as a TrainTask: SohoVqaModel on VqaDataset batches (BCE on soft scores).
// Validation on data.val (soho/eval's predictor): "vqa_score", the reference's soft score
// (mean soft score of the arg-max answer x 100), and, when the val sources name the official
// question / annotation files, "vqa_accuracy" with the official VQA metric (overall and per
// answer type).
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/vqa_dataset.h"
#include "soho/eval/vqa_accuracy.h"
#include "soho/model/soho_model.h"
#include "soho/train/dataset_task.h"

namespace soho::train {

class VqaTask : public DatasetTask<data::VqaDataset> {
 public:
  // Refuses a config whose head is not VQA, or whose head.num_answers differs from the
  // annotation's answer vocabulary.
  static absl::StatusOr<std::unique_ptr<VqaTask>> Create(const proto::SohoConfig& config, TaskPlacement placement);

  torch::nn::Module& model() override { return *model_; }
  std::vector<model::TiedWeight> tied_weights() const override { return model::SohoVqaModelImpl::tied_weights(); }
  model::NamedTensors ForwardLosses() override;
  absl::StatusOr<Scalars> Evaluate() override;
  model::SohoVqaModel& net() { return model_; }

 private:
  VqaTask(const proto::SohoConfig& config, TaskPlacement placement, TaskDatasets<data::VqaDataset> datasets,
          model::SohoVqaModel model, std::optional<std::vector<eval::VqaGroundTruth>> val_ground_truth);

  model::SohoVqaModel model_;
  std::optional<std::vector<eval::VqaGroundTruth>> val_ground_truth_;  // official files of data.val
};

}  // namespace soho::train
