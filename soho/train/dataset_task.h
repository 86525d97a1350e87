#pragma once
// The part of a TrainTask that is the same for every dataset: the rank's training batches
// of an epoch through the DataLoader (a resumed run starts mid-epoch at the same batch),
// the skipped-sample limit over the whole run, and the val split. PretrainTask and VqaTask
// add the model, the loss and the validation (through soho/eval's metrics).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "absl/status/statusor.h"
#include "soho/common/collective.h"
#include "soho/common/status_macros.h"
#include "soho/data/data_loader.h"
#include "soho/data/dataset_common.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/sampler.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"
#include "soho/train/trainer.h"

namespace soho::train {

// Where a task runs: the device and this process's place among the ranks, with the
// Collective that sums over them (the Visual Dictionary's statistics, validation totals);
// null means one process.
struct TaskPlacement {
  c10::Device device{c10::kCPU};
  int rank = 0;
  int world_size = 1;
  std::shared_ptr<Collective> collective;
};

// Sums `values` over the ranks of `placement` in place (nothing to do for one process).
void SumOverRanks(const TaskPlacement& placement, std::vector<double>& values);

// config.data's tokenizer (data.vocab_file, data.lower_case).
absl::StatusOr<std::shared_ptr<const data::BertTokenizer>> LoadTokenizer(const proto::DataConfig& data);

// Token ids must index the word embeddings: the vocabulary may not outgrow
// model.transformer.vocab_size.
absl::Status CheckVocabularyFits(const proto::SohoConfig& config, const data::BertTokenizer& tokenizer);

// The images of a loader batch on `device`.
ImageBatch ImagesOn(const ImageBatch& images, c10::Device device);

template <typename Dataset>
class DatasetTask : public TrainTask {
 public:
  using Batch = typename Dataset::Batch;

  int64_t batches_per_epoch() const override { return batches_per_epoch_; }

  absl::Status StartEpoch(int64_t epoch, int64_t first_batch) override {
    loader_.reset();  // joins the previous epoch's workers first
    loader_ = std::make_unique<data::DataLoader<Dataset>>(
        *train_, data::TrainBatches(train_->groups(), sampler_, epoch),
        data::EpochSeed(config_.runtime().seed(), epoch, placement_.rank), data::LoaderOptionsFrom(config_.data()),
        skips_.get(), first_batch);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> NextBatch() override {
    SOHO_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader_->Next());
    if (!batch) return false;
    batch_ = std::move(*batch);
    return true;
  }

  int64_t batch_images() const override { return batch_ ? batch_->size() : 0; }

 protected:
  DatasetTask(const proto::SohoConfig& config, TaskPlacement placement, std::unique_ptr<Dataset> train,
              std::unique_ptr<Dataset> val, std::unique_ptr<data::SkipTracker> skips)
      : config_(config),
        placement_(placement),
        train_(std::move(train)),
        val_(std::move(val)),
        skips_(std::move(skips)),
        sampler_(data::TrainSamplerOptions(config.data(), config.runtime().seed(), placement.rank,
                                           placement.world_size)),
        batches_per_epoch_(static_cast<int64_t>(data::TrainBatches(train_->groups(), sampler_, 0).size())) {}

  const Batch& batch() const { return *batch_; }
  // The val split, or null when the config names none.
  const Dataset* val() const { return val_.get(); }

  const proto::SohoConfig config_;
  const TaskPlacement placement_;

 private:
  std::unique_ptr<Dataset> train_;
  std::unique_ptr<Dataset> val_;
  std::unique_ptr<data::SkipTracker> skips_;
  data::SamplerOptions sampler_;
  int64_t batches_per_epoch_;
  std::optional<Batch> batch_;
  std::unique_ptr<data::DataLoader<Dataset>> loader_;  // last: reads the members above
};

// Builds a dataset task's datasets: the training split (with its skip tracker) and, when the
// config names one, the val split.
template <typename Dataset>
struct TaskDatasets {
  std::unique_ptr<Dataset> train;
  std::unique_ptr<Dataset> val;
  std::unique_ptr<data::SkipTracker> skips;

  static absl::StatusOr<TaskDatasets> Create(const proto::DataConfig& data,
                                             std::shared_ptr<const data::BertTokenizer> tokenizer) {
    TaskDatasets out;
    SOHO_ASSIGN_OR_RETURN(out.train, Dataset::Create(data, data::Split::kTrain, tokenizer));
    SOHO_ASSIGN_OR_RETURN(out.skips, out.train->NewSkipTracker(data.max_skipped_fraction()));
    if (data.val_size() > 0) {
      SOHO_ASSIGN_OR_RETURN(out.val, Dataset::Create(data, data::Split::kVal, tokenizer));
    }
    return out;
  }
};

}  // namespace soho::train
