#pragma once
// VQA fine-tuning as a TrainTask: SohoVqaModel on VqaDataset batches (BCE on soft scores).
// Validation reports the loss and the VQA soft score ("vqa_score": mean soft score of the
// arg-max answer x 100) on data.val.
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/vqa_dataset.h"
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
  model::SohoVqaModel& net() { return model_; }

 private:
  VqaTask(const proto::SohoConfig& config, TaskPlacement placement, TaskDatasets<data::VqaDataset> datasets,
          model::SohoVqaModel model);
  model::NamedTensors Losses(const data::VqaBatch& batch);
  std::pair<Scalars, int64_t> EvalMetrics(const data::VqaBatch& batch) override;

  model::SohoVqaModel model_;
};

}  // namespace soho::train
