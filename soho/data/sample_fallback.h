#pragma once
// What to do with a sample that cannot be loaded: what the reference does (mmdet's
// `_rand_another`), i.e. take a random sample of the same aspect-ratio group instead, so
// batches stay full and single-group. Each failure is reported for the SkipTracker.
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "soho/data/rng.h"
#include "soho/data/skip_tracker.h"

namespace soho::data {

// Consecutive failures after which a batch fails instead of searching further.
inline constexpr int kMaxFallbackAttempts = 16;

// `load(index, rng)` -> absl::StatusOr<Sample>. `pool` holds the candidates (the indices of
// `index`'s group). All draws come from `rng`, so the outcome is deterministic.
template <typename LoadFn>
auto LoadWithFallback(int64_t index, const std::vector<int64_t>& pool, Rng* rng, const LoadFn& load,
                      std::vector<SkippedSample>* skipped) -> decltype(load(index, rng)) {
  for (int attempt = 0;; ++attempt) {
    auto sample = load(index, rng);
    if (sample.ok()) return sample;
    skipped->push_back({index, std::string(sample.status().message())});
    if (attempt + 1 >= kMaxFallbackAttempts || pool.empty()) {
      return absl::DataLossError(absl::StrCat("no loadable sample after ", attempt + 1,
                                              " tries; last failure: ", sample.status().message()));
    }
    index = pool[rng->UniformInt(pool.size())];
  }
}

}  // namespace soho::data
