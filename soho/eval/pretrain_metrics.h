#pragma once
// Pre-training task accuracies on a PretrainDataset split (val): masked language modelling
// (MLM), masked visual modelling (MVM) and image-text matching (ITM), counted over every
// masked token / masked grid cell / caption, not averaged over batches.
//
// Seeded: the text masking and ITM negatives come from the dataset (a pure function of the
// batch seed), and the MVM masking from the model's neck, whose random draws are seeded per
// batch here. The same checkpoint, data and seed give the same numbers for any num_workers.
#include <cstdint>

#include "absl/status/statusor.h"
#include "soho/data/pretrain_dataset.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"

namespace soho::eval {

struct PretrainEvalOptions {
  int batch_size = 16;  // images per forward pass (each with data.sentence_group captions)
  int num_workers = 2;
  int prefetch_batches = 4;
  uint64_t seed = 42;  // masking and negatives
  int rank = 0;        // this process's share (EvalBatches)
  int world_size = 1;
  double max_skipped_fraction = 0.01;

  // data.eval_batch_size, num_workers, prefetch_batches, max_skipped_fraction; `seed`.
  static PretrainEvalOptions FromConfig(const proto::DataConfig& data, uint64_t seed);
};

struct PretrainTaskMetrics {
  int64_t mlm_correct = 0, mlm_total = 0;  // masked tokens
  int64_t mvm_correct = 0, mvm_total = 0;  // masked grid cells
  int64_t itm_correct = 0, itm_total = 0;  // captions (matched and swapped)
  int64_t itm_swapped_correct = 0, itm_swapped_total = 0;  // the swapped ones among them
  int64_t samples = 0;  // images with data.sentence_group captions each (an image may give several)

  // Percent; 0 when nothing was counted (e.g. neck.mask_prob 0 masks no cell).
  double mlm_accuracy() const { return Percent(mlm_correct, mlm_total); }
  double mvm_accuracy() const { return Percent(mvm_correct, mvm_total); }
  double itm_accuracy() const { return Percent(itm_correct, itm_total); }
  // The mean of the accuracies on matched and on swapped captions: 50 for any constant answer,
  // whatever data.itm_neg_prob is, where itm_accuracy() gives 1 - itm_neg_prob for always
  // answering "match". 0 when either kind was not counted.
  double itm_balanced_accuracy() const {
    const int64_t matched_total = itm_total - itm_swapped_total;
    if (matched_total == 0 || itm_swapped_total == 0) return 0.0;
    return (Percent(itm_correct - itm_swapped_correct, matched_total) +
            Percent(itm_swapped_correct, itm_swapped_total)) / 2;
  }

 private:
  static double Percent(int64_t a, int64_t b) { return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / b; }
};

// Runs the model (eval mode, no gradient, with the neck's MVM masking switched on without
// the dictionary update) over this rank's share of `dataset`, with progress in the log. The
// model's training flag, dictionary and BatchNorm statistics are left as they were, and so
// are the global random generators. Errors: options out of range, a failed batch, too many
// bad images.
absl::StatusOr<PretrainTaskMetrics> EvaluatePretrainTasks(model::SohoPretrainModel& model,
                                                          const data::PretrainDataset& dataset,
                                                          const PretrainEvalOptions& options);

}  // namespace soho::eval
