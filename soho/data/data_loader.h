#pragma once
// The epoch loader: a dataset's batches (from the sampler) produced by worker threads,
// handed out in order, with bad-data accounting.
//
//   SOHO_ASSIGN_OR_RETURN(auto dataset, PretrainDataset::Create(config.data(), Split::kTrain, tokenizer));
//   SOHO_ASSIGN_OR_RETURN(auto skips, dataset->NewSkipTracker(config.data().max_skipped_fraction()));
//   const SamplerOptions sampler = TrainSamplerOptions(config.data(), seed, rank, world_size);
//   for (int64_t epoch = 0; ...; ++epoch) {
//     DataLoader<PretrainDataset> loader(*dataset, TrainBatches(dataset->groups(), sampler, epoch),
//                                        EpochSeed(seed, epoch, rank), LoaderOptionsFrom(config.data()),
//                                        skips.get());
//     while (true) {
//       SOHO_ASSIGN_OR_RETURN(std::optional<PretrainBatch> batch, loader.Next());
//       if (!batch) break;
//       ...
//     }
//   }
//
// Determinism: batch k is dataset.LoadBatch(batches[k], CombineSeeds({epoch_seed, k})), a pure
// function, so the output is byte-identical for any num_workers and any timing. A loader
// started at `first_batch` (a run resumed mid-epoch) yields batches first_batch, ... of the
// epoch, identical to those of a loader started at 0.
//
// Dataset concept: `using Batch = ...;` with a `std::vector<SkippedSample> skipped` member,
// and `absl::StatusOr<Batch> LoadBatch(const std::vector<int64_t>& indices, uint64_t seed) const`
// (thread-safe).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/ordered_prefetcher.h"
#include "soho/data/rng.h"
#include "soho/data/sampler.h"
#include "soho/data/skip_tracker.h"
#include "soho/proto/config.pb.h"

namespace soho::data {

struct LoaderOptions {
  // 0: load in the calling thread.
  int num_workers = 0;
  // Batches prepared ahead of the consumer.
  int prefetch_batches = 4;
};

inline LoaderOptions LoaderOptionsFrom(const proto::DataConfig& data) {
  return {data.num_workers(), data.prefetch_batches()};
}

// Training sampler settings from the config: data.batch_size images per rank,
// data.group_by_aspect_ratio, and the run seed (runtime.seed).
inline SamplerOptions TrainSamplerOptions(const proto::DataConfig& data, uint64_t seed, int rank, int world_size) {
  SamplerOptions o;
  o.batch_size = data.batch_size();
  o.rank = rank;
  o.world_size = world_size;
  o.group_by_aspect_ratio = data.group_by_aspect_ratio();
  o.seed = seed;
  return o;
}

// The seed of one rank's epoch; batch k of it uses CombineSeeds({EpochSeed(...), k}).
inline uint64_t EpochSeed(uint64_t run_seed, int64_t epoch, int rank) {
  return CombineSeeds({run_seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(rank)});
}

template <typename Dataset>
class DataLoader {
 public:
  using Batch = typename Dataset::Batch;

  // `dataset` and `skips` (may be null: no accounting) must outlive the loader.
  DataLoader(const Dataset& dataset, std::vector<std::vector<int64_t>> batches, uint64_t epoch_seed,
             const LoaderOptions& options, SkipTracker* skips, int64_t first_batch = 0)
      : batches_(std::move(batches)),
        first_batch_(std::clamp<int64_t>(first_batch, 0, static_cast<int64_t>(batches_.size()))),
        skips_(skips),
        prefetcher_(
            static_cast<int64_t>(batches_.size()) - first_batch_,
            [this, &dataset, epoch_seed](int64_t i) {
              const int64_t k = first_batch_ + i;
              return dataset.LoadBatch(batches_[k], CombineSeeds({epoch_seed, static_cast<uint64_t>(k)}));
            },
            options.num_workers, options.prefetch_batches) {}

  // The next batch, std::nullopt at the end of the epoch, or the first error (a failed
  // batch, or too many skipped samples).
  absl::StatusOr<std::optional<Batch>> Next() {
    absl::StatusOr<std::optional<Batch>> batch = prefetcher_.Next();
    if (batch.ok() && batch->has_value() && skips_ != nullptr) {
      // Counted here, in batch order, so that the stop point is deterministic too.
      if (absl::Status s = skips_->Record((*batch)->skipped); !s.ok()) return s;
    }
    return batch;
  }

  // Batches in the whole epoch (including any skipped by first_batch).
  int64_t num_batches() const { return static_cast<int64_t>(batches_.size()); }

 private:
  const std::vector<std::vector<int64_t>> batches_;
  const int64_t first_batch_;
  SkipTracker* const skips_;
  OrderedPrefetcher<Batch> prefetcher_;  // last: its workers read the members above
};

}  // namespace soho::data
