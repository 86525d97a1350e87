#pragma once
// Pre-training (MLM + MVM + ITM) as a TrainTask: SohoPretrainModel on PretrainDataset batches.
// Validation reports the MLM, MVM and ITM accuracies on data.val with seeded masking
// (soho/eval's EvaluatePretrainTasks: no effect on the run's random streams or dictionary).
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/common/collective.h"
#include "soho/data/pretrain_dataset.h"
#include "soho/model/soho_model.h"
#include "soho/train/dataset_task.h"

namespace soho::train {

class PretrainTask : public DatasetTask<data::PretrainDataset> {
 public:
  // Refuses a config whose head is not PRETRAIN. The model is built on placement.device; its
  // Visual Dictionary sums its statistics over placement.collective.
  static absl::StatusOr<std::unique_ptr<PretrainTask>> Create(const proto::SohoConfig& config,
                                                              TaskPlacement placement);

  torch::nn::Module& model() override { return *model_; }
  std::vector<model::TiedWeight> tied_weights() const override { return model::SohoPretrainModelImpl::tied_weights(); }
  model::NamedTensors ForwardLosses() override;
  absl::StatusOr<Scalars> Evaluate() override;
  void SetIteration(int64_t iteration) override { model_->SetIteration(iteration); }
  model::SohoPretrainModel& net() { return model_; }

 private:
  PretrainTask(const proto::SohoConfig& config, TaskPlacement placement, TaskDatasets<data::PretrainDataset> datasets,
               model::SohoPretrainModel model);

  model::SohoPretrainModel model_;
};

}  // namespace soho::train
