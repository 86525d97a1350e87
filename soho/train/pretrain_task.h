#pragma once
// Pre-training (MLM + MVM + ITM) as a TrainTask: SohoPretrainModel on PretrainDataset batches.
// Validation reports the MLM and ITM losses and accuracies on data.val (the model in eval
// mode masks no visual cells, so MVM is not scored there).
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
  // Refuses a config whose head is not PRETRAIN. The model is built on placement.device.
  static absl::StatusOr<std::unique_ptr<PretrainTask>> Create(const proto::SohoConfig& config,
                                                              TaskPlacement placement,
                                                              std::shared_ptr<Collective> collective = nullptr);

  torch::nn::Module& model() override { return *model_; }
  std::vector<model::TiedWeight> tied_weights() const override { return model::SohoPretrainModelImpl::tied_weights(); }
  model::NamedTensors ForwardLosses() override;
  void SetIteration(int64_t iteration) override { model_->SetIteration(iteration); }
  model::SohoPretrainModel& net() { return model_; }

 private:
  PretrainTask(const proto::SohoConfig& config, TaskPlacement placement, TaskDatasets<data::PretrainDataset> datasets,
               model::SohoPretrainModel model);
  model::NamedTensors Losses(const data::PretrainBatch& batch);
  std::pair<Scalars, int64_t> EvalMetrics(const data::PretrainBatch& batch) override;

  model::SohoPretrainModel model_;
};

}  // namespace soho::train
