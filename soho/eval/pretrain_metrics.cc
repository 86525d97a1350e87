#include "soho/eval/pretrain_metrics.h"

#include <mutex>
#include <optional>

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "soho/common/progress.h"
#include "soho/common/status_macros.h"
#include "soho/data/data_loader.h"
#include "soho/data/rng.h"
#include "soho/data/sampler.h"
#include "soho/eval/eval_mode.h"
#include "soho/losses/losses.h"

namespace soho::eval {
namespace {

// The neck's MVM masking draws on the default generators (the masked cell on the CPU one,
// which samples are masked on the model device's). This seeds them per batch and restores
// their state on destruction, so that validation inside a training run leaves the run's
// random stream untouched.
class ScopedGeneratorSeeds {
 public:
  explicit ScopedGeneratorSeeds(c10::Device device) {
    generators_.push_back(at::globalContext().defaultGenerator(c10::Device(c10::kCPU)));
    if (!device.is_cpu()) generators_.push_back(at::globalContext().defaultGenerator(device));
    for (at::Generator& g : generators_) {
      std::lock_guard<std::mutex> lock(g.mutex());
      states_.push_back(g.get_state());
    }
  }
  ~ScopedGeneratorSeeds() {
    for (size_t i = 0; i < generators_.size(); ++i) {
      std::lock_guard<std::mutex> lock(generators_[i].mutex());
      generators_[i].set_state(states_[i]);
    }
  }
  ScopedGeneratorSeeds(const ScopedGeneratorSeeds&) = delete;
  ScopedGeneratorSeeds& operator=(const ScopedGeneratorSeeds&) = delete;

  void Seed(uint64_t seed) {
    for (at::Generator& g : generators_) {
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_current_seed(seed);
    }
  }

 private:
  std::vector<at::Generator> generators_;
  std::vector<at::Tensor> states_;
};

// The pre-training neck masks cells for MVM only in training mode, where the dictionary would
// also move its averages and the BatchNorms their statistics. Evaluation wants the masking
// alone: the neck in training mode, its dictionary and conv+BN modules back in eval mode
// (pos_line, mask_emb and the LayerNorm behave the same in both modes).
void EnableMvmMaskingOnly(model::SohoPretrainModel& model) {
  model->neck->train(true);
  model->neck->vq->eval();
  model->neck->conv->eval();
  if (model->neck->gate_fc) model->neck->gate_fc->eval();
}

// (correct, counted) arg-max predictions over positions whose label is not ignored.
std::pair<int64_t, int64_t> CountCorrect(const at::Tensor& logits, const at::Tensor& labels) {
  const at::Tensor flat_labels = labels.flatten();
  const at::Tensor counted = flat_labels.ne(losses::kIgnoreIndex);
  const at::Tensor predicted = logits.flatten(0, logits.dim() - 2).argmax(-1);
  const int64_t correct = predicted.eq(flat_labels).logical_and(counted).sum().item<int64_t>();
  return {correct, counted.sum().item<int64_t>()};
}

}  // namespace

PretrainEvalOptions PretrainEvalOptions::FromConfig(const proto::DataConfig& data, uint64_t seed) {
  PretrainEvalOptions options;
  options.batch_size = data.eval_batch_size();
  options.num_workers = data.num_workers();
  options.prefetch_batches = data.prefetch_batches();
  options.max_skipped_fraction = data.max_skipped_fraction();
  options.seed = seed;
  return options;
}

absl::StatusOr<PretrainTaskMetrics> EvaluatePretrainTasks(model::SohoPretrainModel& model,
                                                          const data::PretrainDataset& dataset,
                                                          const PretrainEvalOptions& options) {
  if (options.batch_size < 1 || options.num_workers < 0 || options.prefetch_batches < 1) {
    return absl::InvalidArgumentError("batch size and prefetch_batches must be >= 1, num_workers >= 0");
  }
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank ", options.rank, " is not in a world of size ", options.world_size));
  }
  SOHO_ASSIGN_OR_RETURN(std::unique_ptr<data::SkipTracker> skips,
                        dataset.NewSkipTracker(options.max_skipped_fraction));
  std::vector<std::vector<int64_t>> batches =
      data::EvalBatches(dataset.size(), options.batch_size, options.rank, options.world_size);
  const int64_t num_batches = static_cast<int64_t>(batches.size());
  const uint64_t epoch_seed = data::EpochSeed(options.seed, /*epoch=*/0, options.rank);

  ScopedEvalMode eval_mode(*model);
  EnableMvmMaskingOnly(model);
  at::NoGradGuard no_grad;
  const c10::Device device = DeviceOf(*model);
  ScopedGeneratorSeeds generators(device);
  data::DataLoader<data::PretrainDataset> loader(dataset, std::move(batches), epoch_seed,
                                                 {options.num_workers, options.prefetch_batches}, skips.get());
  ProgressMeter progress(absl::StrCat("pre-training tasks ", dataset.name()), num_batches);
  PretrainTaskMetrics m;
  for (int64_t k = 0;; ++k) {
    SOHO_ASSIGN_OR_RETURN(std::optional<data::PretrainBatch> batch, loader.Next());
    if (!batch) break;
    // The loader's own seed for batch k, tagged so the neck's draws are a stream of their own.
    generators.Seed(data::CombineSeeds({epoch_seed, static_cast<uint64_t>(k), 0x4d564d}));
    const ImageBatch images{batch->image.images.to(device), batch->image.valid_hw.to(device)};
    const model::TextBatch text{batch->input_ids.to(device), batch->attention_mask.to(device)};
    const model::SohoPretrainModelImpl::Outputs out = model->forward(images, text);
    const auto [mlm_correct, mlm_total] = CountCorrect(out.mlm_logits, batch->mlm_labels.to(device));
    const auto [mvm_correct, mvm_total] = CountCorrect(out.mvm_scores, out.mvm_labels);
    const at::Tensor itm_labels = batch->itm_labels.to(device);
    const auto [itm_correct, itm_total] = CountCorrect(out.itm_logits, itm_labels);
    // The swapped captions alone: the matched ones (label 1) counted as ignored.
    const auto [itm_swapped_correct, itm_swapped_total] =
        CountCorrect(out.itm_logits, itm_labels.masked_fill(itm_labels.eq(1), losses::kIgnoreIndex));
    m.mlm_correct += mlm_correct;
    m.mlm_total += mlm_total;
    m.mvm_correct += mvm_correct;
    m.mvm_total += mvm_total;
    m.itm_correct += itm_correct;
    m.itm_total += itm_total;
    m.itm_swapped_correct += itm_swapped_correct;
    m.itm_swapped_total += itm_swapped_total;
    m.samples += batch->size();
    progress.Update(k + 1, absl::StrFormat("mlm %.2f mvm %.2f itm %.2f", m.mlm_accuracy(), m.mvm_accuracy(),
                                           m.itm_accuracy()));
  }
  progress.Finish(absl::StrCat(m.samples, " samples"));
  return m;
}

}  // namespace soho::eval
