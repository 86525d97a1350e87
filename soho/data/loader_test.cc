// Samplers (determinism, aspect groups, rank split), the ordered prefetcher (order, errors,
// early destruction), the epoch loader's determinism across worker counts, sample
// fallback and the skipped-fraction limit, on a fake dataset.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "gtest/gtest.h"
#include "soho/data/data_loader.h"
#include "soho/data/rng.h"
#include "soho/data/sample_fallback.h"
#include "soho/data/sampler.h"
#include "soho/data/skip_tracker.h"

namespace soho::data {
namespace {

// ------------------------------------------------------------------------------ rng

TEST(RngTest, SeededStreamsRepeatAndDiffer) {
  Rng a(5), b(5), c(6);
  for (int i = 0; i < 10; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    EXPECT_NE(x, c.Next());
  }
  EXPECT_NE(CombineSeeds({1, 2}), CombineSeeds({2, 1}));
  Rng r(9);
  std::map<int64_t, int> counts;
  for (int i = 0; i < 60000; ++i) counts[r.UniformRange(-1, 4)]++;
  ASSERT_EQ(counts.size(), 6u);
  for (auto [v, n] : counts) EXPECT_NEAR(n, 10000, 400) << v;  // ~4 sigma
  const std::vector<int> items = {10, 20, 30};
  std::map<int, int> picked;
  for (int i = 0; i < 3000; ++i) picked[r.Pick(items)]++;
  for (int item : items) EXPECT_NEAR(picked[item], 1000, 130) << item;
  for (int i = 0; i < 1000; ++i) {
    const double x = r.Uniform(-2.0, 3.0);
    EXPECT_GE(x, -2.0);
    EXPECT_LT(x, 3.0);
  }
}

// --------------------------------------------------------------------------- sampler

std::vector<uint8_t> MixedGroups(int n) {
  std::vector<uint8_t> g(n);
  for (int i = 0; i < n; ++i) g[i] = (i % 3 == 0) ? 0 : 1;  // 1/3 portrait
  return g;
}

TEST(SamplerTest, AspectGroupFollowsTheReference) {
  EXPECT_EQ(AspectGroup(480, 640), 1);
  EXPECT_EQ(AspectGroup(640, 480), 0);
  EXPECT_EQ(AspectGroup(500, 500), 0);
}

TEST(SamplerTest, DeterministicPerEpochAndDifferentAcrossEpochs) {
  const auto groups = MixedGroups(50);
  SamplerOptions o;
  o.batch_size = 4;
  o.seed = 11;
  EXPECT_EQ(TrainBatches(groups, o, 0), TrainBatches(groups, o, 0));
  EXPECT_NE(TrainBatches(groups, o, 0), TrainBatches(groups, o, 1));
  SamplerOptions other = o;
  other.seed = 12;
  EXPECT_NE(TrainBatches(groups, o, 0), TrainBatches(groups, other, 0));
}

TEST(SamplerTest, BatchesAreFullSingleGroupAndCoverEverySample) {
  const auto groups = MixedGroups(50);  // 17 portrait, 33 landscape
  SamplerOptions o;
  o.batch_size = 4;
  o.seed = 3;
  const auto batches = TrainBatches(groups, o, 2);
  // Each group padded to a multiple of 4: 20 + 36 = 56 samples = 14 batches.
  ASSERT_EQ(batches.size(), 14u);
  std::set<int64_t> seen;
  for (const auto& b : batches) {
    ASSERT_EQ(b.size(), 4u);
    for (int64_t i : b) {
      EXPECT_EQ(groups[i], groups[b[0]]);
      seen.insert(i);
    }
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(SamplerTest, NoGroupingMixesOrientations) {
  const auto groups = MixedGroups(48);
  SamplerOptions o;
  o.batch_size = 8;
  o.group_by_aspect_ratio = false;
  const auto batches = TrainBatches(groups, o, 0);
  ASSERT_EQ(batches.size(), 6u);  // 48 / 8, no padding
  bool mixed = false;
  for (const auto& b : batches) {
    for (int64_t i : b) mixed |= groups[i] != groups[b[0]];
  }
  EXPECT_TRUE(mixed);
}

TEST(SamplerTest, RanksSplitTheEpochDisjointlyUpToPadding) {
  const auto groups = MixedGroups(61);  // 21 portrait, 40 landscape
  const int world = 3, batch = 2;
  std::map<int64_t, int> count;
  size_t per_rank = 0;
  for (int rank = 0; rank < world; ++rank) {
    SamplerOptions o;
    o.batch_size = batch;
    o.rank = rank;
    o.world_size = world;
    o.seed = 5;
    const auto batches = TrainBatches(groups, o, 7);
    if (rank == 0) per_rank = batches.size();
    EXPECT_EQ(batches.size(), per_rank) << "every rank runs the same number of iterations";
    for (const auto& b : batches) {
      ASSERT_EQ(b.size(), static_cast<size_t>(batch));
      for (int64_t i : b) count[i]++;
    }
  }
  // Groups padded to multiples of batch*world = 6: 24 + 42 = 66 samples.
  EXPECT_EQ(per_rank * world * batch, 66u);
  EXPECT_EQ(count.size(), 61u);  // every sample seen
  int extra = 0;
  for (auto [i, n] : count) extra += n - 1;
  EXPECT_EQ(extra, 5);  // and only the 5 padding repeats twice
}

TEST(SamplerTest, TrainSamplerOptionsComeFromTheConfig) {
  proto::DataConfig data;
  data.set_batch_size(6);
  data.set_group_by_aspect_ratio(false);
  const SamplerOptions o = TrainSamplerOptions(data, 77, 1, 4);
  EXPECT_EQ(o.batch_size, 6);
  EXPECT_FALSE(o.group_by_aspect_ratio);
  EXPECT_EQ(o.seed, 77u);
  EXPECT_EQ(o.rank, 1);
  EXPECT_EQ(o.world_size, 4);
}

TEST(SamplerTest, EvalBatchesVisitEachSampleOnceInOrder) {
  std::vector<int64_t> all;
  for (int rank = 0; rank < 3; ++rank) {
    for (const auto& b : EvalBatches(10, 3, rank, 3)) {
      EXPECT_LE(b.size(), 3u);
      all.insert(all.end(), b.begin(), b.end());
    }
  }
  std::vector<int64_t> expected(10);
  for (int i = 0; i < 10; ++i) expected[i] = i;
  EXPECT_EQ(all, expected);
  EXPECT_EQ(EvalBatches(10, 4, 0, 1).back(), (std::vector<int64_t>{8, 9}));
}

// ------------------------------------------------------------------------ prefetcher

TEST(OrderedPrefetcherTest, ReturnsItemsInOrderWhateverTheTiming) {
  for (int workers : {0, 1, 4}) {
    OrderedPrefetcher<int64_t> p(
        20,
        [](int64_t i) -> absl::StatusOr<int64_t> {
          // Later items finish first.
          std::this_thread::sleep_for(std::chrono::microseconds((20 - i) * 200));
          return i * i;
        },
        workers, 3);
    for (int64_t i = 0; i < 20; ++i) {
      auto item = p.Next();
      ASSERT_TRUE(item.ok());
      ASSERT_TRUE(item->has_value());
      EXPECT_EQ(**item, i * i);
    }
    auto end = p.Next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end->has_value());
  }
}

TEST(OrderedPrefetcherTest, ErrorsAndExceptionsArriveInOrderAndStick) {
  for (int workers : {0, 3}) {
    OrderedPrefetcher<int> p(
        10,
        [](int64_t i) -> absl::StatusOr<int> {
          if (i == 4) return absl::DataLossError("item four is bad");
          if (i == 6) throw std::runtime_error("boom");
          return static_cast<int>(i);
        },
        workers, 4);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(**p.Next(), i);
    auto bad = p.Next();
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().message(), "item four is bad");
    EXPECT_EQ(p.Next().status(), bad.status());
  }
  OrderedPrefetcher<int> thrower(
      1, [](int64_t) -> absl::StatusOr<int> { throw std::runtime_error("boom"); }, 2, 2);
  auto thrown = thrower.Next();
  ASSERT_FALSE(thrown.ok());
  EXPECT_NE(thrown.status().message().find("boom"), std::string::npos);
}

TEST(OrderedPrefetcherTest, BoundedAheadAndEarlyDestructionDoesNotHang) {
  std::atomic<int> produced{0};
  {
    OrderedPrefetcher<int> p(
        1000,
        [&](int64_t i) -> absl::StatusOr<int> {
          ++produced;
          return static_cast<int>(i);
        },
        2, 5);
    EXPECT_EQ(**p.Next(), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // Consumed 1, at most 5 ahead of it.
    EXPECT_LE(produced.load(), 6);
  }  // destroyed with items pending and workers waiting
  EXPECT_LE(produced.load(), 6);
}

// ----------------------------------------------------------------------- data loader

// Batch content = a hash of (index, seed): anything order- or timing-dependent would show.
struct FakeBatch {
  std::vector<uint64_t> values;
  std::vector<SkippedSample> skipped;
};

class FakeDataset {
 public:
  using Batch = FakeBatch;
  explicit FakeDataset(std::set<int64_t> bad = {}) : bad_(std::move(bad)) {
    for (int64_t i = 0; i < 40; ++i) pool_.push_back(i);
  }

  absl::StatusOr<FakeBatch> LoadBatch(const std::vector<int64_t>& indices, uint64_t seed) const {
    FakeBatch batch;
    for (size_t p = 0; p < indices.size(); ++p) {
      Rng rng(CombineSeeds({seed, p}));
      auto load = [&](int64_t i, Rng* r) -> absl::StatusOr<uint64_t> {
        if (bad_.count(i)) return absl::NotFoundError("img" + std::to_string(i) + ".jpg: missing");
        return CombineSeeds({static_cast<uint64_t>(i), r->Next()});
      };
      auto value = LoadWithFallback(indices[p], pool_, &rng, load, &batch.skipped);
      if (!value.ok()) return value.status();
      batch.values.push_back(*value);
    }
    // Uneven work so that workers finish out of order.
    std::this_thread::sleep_for(std::chrono::microseconds(100 * (seed % 7)));
    return batch;
  }

 private:
  std::set<int64_t> bad_;
  std::vector<int64_t> pool_;
};

std::vector<std::vector<uint64_t>> RunEpoch(const FakeDataset& dataset, int workers, SkipTracker* skips,
                                            absl::Status* error = nullptr, int64_t first_batch = 0) {
  SamplerOptions o;
  o.batch_size = 4;
  o.group_by_aspect_ratio = false;
  DataLoader<FakeDataset> loader(dataset, TrainBatches(std::vector<uint8_t>(40, 0), o, 1), EpochSeed(42, 1, 0),
                                 {workers, 2}, skips, first_batch);
  std::vector<std::vector<uint64_t>> out;
  while (true) {
    auto batch = loader.Next();
    if (!batch.ok()) {
      if (error) *error = batch.status();
      break;
    }
    if (!batch->has_value()) break;
    out.push_back((*batch)->values);
  }
  return out;
}

TEST(DataLoaderTest, SameBatchesForAnyNumberOfWorkers) {
  FakeDataset dataset;
  const auto reference = RunEpoch(dataset, 0, nullptr);
  ASSERT_EQ(reference.size(), 10u);
  EXPECT_EQ(RunEpoch(dataset, 1, nullptr), reference);
  EXPECT_EQ(RunEpoch(dataset, 3, nullptr), reference);
}

TEST(DataLoaderTest, StartingMidEpochGivesTheRestOfTheSameEpoch) {
  FakeDataset dataset;
  const auto reference = RunEpoch(dataset, 0, nullptr);
  const auto resumed = RunEpoch(dataset, 2, nullptr, nullptr, /*first_batch=*/7);
  ASSERT_EQ(resumed.size(), 3u);
  EXPECT_EQ(resumed, std::vector<std::vector<uint64_t>>(reference.begin() + 7, reference.end()));
  EXPECT_TRUE(RunEpoch(dataset, 1, nullptr, nullptr, /*first_batch=*/10).empty());
}

TEST(DataLoaderTest, BadSamplesAreReplacedCountedAndLimited) {
  FakeDataset dataset({3, 17});
  SkipTracker lenient("fake.json", 40, 0.1);
  absl::Status error;
  const auto batches = RunEpoch(dataset, 2, &lenient, &error);
  EXPECT_TRUE(error.ok()) << error;
  EXPECT_EQ(batches.size(), 10u);
  for (const auto& b : batches) EXPECT_EQ(b.size(), 4u);  // replaced, batches stay full
  EXPECT_EQ(lenient.skipped(), 2);
  EXPECT_EQ(RunEpoch(dataset, 0, nullptr), batches);  // replacements are deterministic too

  SkipTracker strict("fake.json", 40, 0.03);  // 1 bad sample allowed (1.2), 2 are too many
  const auto partial = RunEpoch(dataset, 2, &strict, &error);
  ASSERT_FALSE(error.ok());
  EXPECT_LT(partial.size(), 10u);
  EXPECT_NE(error.message().find("fake.json: 2 of 40 samples skipped"), std::string::npos) << error;
  EXPECT_NE(error.message().find("max_skipped_fraction"), std::string::npos);
  EXPECT_NE(error.message().find(".jpg: missing"), std::string::npos);
}

TEST(DataLoaderTest, AllBadDataFailsTheBatchWithTheLastReason) {
  std::set<int64_t> all;
  for (int64_t i = 0; i < 40; ++i) all.insert(i);
  FakeDataset dataset(all);
  absl::Status error;
  EXPECT_TRUE(RunEpoch(dataset, 2, nullptr, &error).empty());
  EXPECT_NE(error.message().find("no loadable sample after 16 tries"), std::string::npos) << error;
}

TEST(SkipTrackerTest, CountsDistinctSamplesAndEntriesDroppedAtLoad) {
  SkipTracker t("ann.json", 100, 0.05);
  EXPECT_TRUE(t.Record({{-1, "ann.json: entry 3: missing 'file_name'"}}).ok());
  EXPECT_TRUE(t.Record({{7, "a.jpg: empty"}, {7, "a.jpg: empty"}}).ok());
  EXPECT_TRUE(t.Record({{7, "a.jpg: empty"}}).ok());
  EXPECT_EQ(t.skipped(), 2);
  EXPECT_TRUE(t.Record({{8, "b"}, {9, "c"}, {10, "d"}}).ok());  // 5 of 100: at the limit
  EXPECT_FALSE(t.Record({{11, "e.jpg: truncated"}}).ok());
}

}  // namespace
}  // namespace soho::data
