#include "soho/data/sampler.h"

#include <algorithm>

#include "soho/common/logging.h"
#include "soho/data/rng.h"

namespace soho::data {

uint8_t AspectGroup(int height, int width) {
  return static_cast<double>(width) / static_cast<double>(height) > 1.0 ? 1 : 0;
}

std::vector<std::vector<int64_t>> TrainBatches(const std::vector<uint8_t>& groups, const SamplerOptions& options,
                                               int64_t epoch) {
  CHECK_GT(options.batch_size, 0);
  CHECK_GT(options.world_size, 0);
  CHECK(options.rank >= 0 && options.rank < options.world_size) << "rank " << options.rank;
  const int64_t batch = options.batch_size;
  const int64_t chunk = batch * options.world_size;
  // No rank in the seed: all ranks must agree on the global order before splitting it.
  Rng rng(CombineSeeds({options.seed, static_cast<uint64_t>(epoch), 0x5A3D1E5ull}));

  std::vector<std::vector<int64_t>> members(2);
  for (int64_t i = 0; i < static_cast<int64_t>(groups.size()); ++i) {
    members[options.group_by_aspect_ratio ? (groups[i] ? 1 : 0) : 0].push_back(i);
  }
  std::vector<int64_t> order;
  for (std::vector<int64_t>& group : members) {
    if (group.empty()) continue;
    rng.Shuffle(&group);
    const int64_t size = static_cast<int64_t>(group.size());
    const int64_t padded = (size + chunk - 1) / chunk * chunk;
    for (int64_t k = 0; k < padded; ++k) order.push_back(group[k % size]);
  }
  std::vector<int64_t> batch_ids(order.size() / batch);
  for (size_t b = 0; b < batch_ids.size(); ++b) batch_ids[b] = static_cast<int64_t>(b);
  rng.Shuffle(&batch_ids);

  const int64_t per_rank = static_cast<int64_t>(batch_ids.size()) / options.world_size;
  std::vector<std::vector<int64_t>> out;
  out.reserve(per_rank);
  for (int64_t k = 0; k < per_rank; ++k) {
    const int64_t b = batch_ids[options.rank * per_rank + k];
    out.emplace_back(order.begin() + b * batch, order.begin() + (b + 1) * batch);
  }
  return out;
}

std::vector<std::vector<int64_t>> EvalBatches(int64_t num_samples, int batch_size, int rank, int world_size) {
  CHECK_GT(batch_size, 0);
  CHECK(rank >= 0 && rank < world_size) << "rank " << rank << " of " << world_size;
  const int64_t share = (num_samples + world_size - 1) / world_size;
  const int64_t begin = std::min<int64_t>(num_samples, rank * share);
  const int64_t end = std::min<int64_t>(num_samples, begin + share);
  std::vector<std::vector<int64_t>> out;
  for (int64_t start = begin; start < end; start += batch_size) {
    std::vector<int64_t> b;
    for (int64_t i = start; i < std::min<int64_t>(end, start + batch_size); ++i) b.push_back(i);
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace soho::data
