#pragma once
// Which samples go into which batch, as pure functions of (seed, epoch, rank, world size).
//
// Training follows the reference's DistributedGroupSampler (mmdet): samples are split into
// aspect-ratio groups, each group is shuffled and padded (by repeating itself) to a multiple
// of batch_size * world_size, so every batch comes from one group; the batches are shuffled
// and rank r takes the r-th contiguous share. Every sample appears at least once per epoch
// across all ranks, and every rank gets the same number of full batches.
#include <cstdint>
#include <vector>

namespace soho::data {

// The reference's group flag: 1 (landscape) when width / height > 1, else 0 (portrait or
// square).
uint8_t AspectGroup(int height, int width);

struct SamplerOptions {
  int batch_size = 1;
  int rank = 0;
  int world_size = 1;
  // false: one group, i.e. plain shuffled batches.
  bool group_by_aspect_ratio = true;
  uint64_t seed = 0;
};

// This rank's batches of dataset indices for `epoch`. `groups[i]` is sample i's
// AspectGroup. Identical on every call with the same arguments; the same shuffle on every
// rank (the seed does not involve the rank), so the ranks' shares are disjoint up to padding.
std::vector<std::vector<int64_t>> TrainBatches(const std::vector<uint8_t>& groups, const SamplerOptions& options,
                                               int64_t epoch);

// Evaluation: every sample exactly once, in index order; rank r takes the r-th contiguous
// share (ceil(n / world) samples, the last rank fewer); the last batch may be short.
std::vector<std::vector<int64_t>> EvalBatches(int64_t num_samples, int batch_size, int rank, int world_size);

}  // namespace soho::data
