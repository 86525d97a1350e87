// Checkpoint files: round trip, what Python's torch.load sees, refusal of truncated and
// foreign files (naming the file), the work dir's latest.pt and pruning, --resume paths.
#include "soho/train/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/model/python_reference.h"
#include "soho/model/weights.h"

namespace soho::train {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

Checkpoint Sample() {
  Checkpoint c;
  c.position = {2, 5, 17};
  c.model = {{"backbone.conv1.weight", at::arange(6, at::kFloat).view({2, 3})},
             {"neck.conv.bn.num_batches_tracked", at::scalar_tensor(7, at::kLong)}};
  c10::impl::GenericDict optimizer(c10::StringType::get(), c10::AnyType::get());
  optimizer.insert("steps", int64_t{4});
  c.optimizer = optimizer;
  c.rng = CaptureRngState();
  c.loss_scale = 64;
  c.nonfinite_streak = 1;
  c.config_text = "runtime { seed: 3 }\n";
  return c;
}

TEST(CheckpointTest, RoundTrip) {
  const std::string path = TempDir("roundtrip") + "/c.pt";
  ASSERT_TRUE(SaveCheckpoint(Sample(), path).ok());
  auto loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->position.epoch, 2);
  EXPECT_EQ(loaded->position.epoch_batch, 5);
  EXPECT_EQ(loaded->position.iteration, 17);
  EXPECT_EQ(loaded->loss_scale, 64);
  EXPECT_EQ(loaded->nonfinite_streak, 1);
  EXPECT_EQ(loaded->config_text, "runtime { seed: 3 }\n");
  ASSERT_EQ(loaded->model.size(), 2u);
  EXPECT_EQ(loaded->model[0].first, "backbone.conv1.weight");
  EXPECT_TRUE(loaded->model[0].second.equal(Sample().model[0].second));
  EXPECT_EQ(loaded->optimizer.toGenericDict().at("steps").toInt(), 4);
  // The model weights read as any weights file (what eval and finetune_vqa --init do).
  auto state = model::ReadStateDict(path);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->size(), 2u);
}

TEST(CheckpointTest, RngStateRestoresTheSameDraws) {
  const c10::IValue state = CaptureRngState();
  const at::Tensor first = at::rand({4});
  ASSERT_TRUE(RestoreRngState(state).ok());
  EXPECT_TRUE(at::rand({4}).equal(first));
}

TEST(CheckpointTest, EachRankRestoresItsOwnStream) {
  at::manual_seed(10);
  const at::Tensor rank0 = CpuRngState();
  at::manual_seed(11);
  const at::Tensor rank1 = CpuRngState();
  const at::Tensor rank1_draws = at::rand({4});
  const c10::IValue state = CaptureRngState({rank0, rank1});
  ASSERT_TRUE(RestoreRngState(state, /*rank=*/1).ok());
  EXPECT_TRUE(at::rand({4}).equal(rank1_draws));
  // A rank the checkpoint has no stream for (a larger group) continues rank 0's.
  ASSERT_TRUE(RestoreRngState(state, /*rank=*/2).ok());
  EXPECT_FALSE(at::rand({4}).equal(rank1_draws));
}

TEST(CheckpointTest, PythonTorchLoadSeesTheMmcvLayout) {
  const std::string path = TempDir("python") + "/c.pt";
  ASSERT_TRUE(SaveCheckpoint(Sample(), path).ok());
  const auto out = model::testing::RunPython(R"(
c = torch.load(args[0])
assert sorted(c.keys()) == ["meta", "optimizer", "rng", "state_dict"], c.keys()
assert c["meta"]["iter"] == 17 and c["meta"]["epoch"] == 2, c["meta"]
outputs["w"] = c["state_dict"]["backbone.conv1.weight"]
)",
                                             {}, {path});
  EXPECT_TRUE(out.at("w").equal(Sample().model[0].second));
}

TEST(CheckpointTest, TruncatedOrForeignFilesAreRefusedByName) {
  const std::string dir = TempDir("bad");
  const std::string path = dir + "/c.pt";
  ASSERT_TRUE(SaveCheckpoint(Sample(), path).ok());
  auto bytes = ReadFileToString(path);
  ASSERT_TRUE(bytes.ok());
  const std::string truncated = dir + "/truncated.pt";
  ASSERT_TRUE(WriteFileAtomically(truncated, bytes->substr(0, bytes->size() / 2)).ok());
  auto loaded = LoadCheckpoint(truncated);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find(truncated), std::string::npos) << loaded.status();

  // A plain state_dict (e.g. torchvision weights) is no training checkpoint.
  const std::string weights = dir + "/weights.pt";
  ASSERT_TRUE(model::SaveStateDict(Sample().model, weights).ok());
  loaded = LoadCheckpoint(weights);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find("no 'meta' entry"), std::string::npos) << loaded.status();
  EXPECT_NE(std::string(loaded.status().message()).find(weights), std::string::npos);
}

TEST(CheckpointDirTest, LatestPointsAtTheNewestAndOldPeriodicOnesArePruned) {
  const std::string dir = TempDir("dir");
  CheckpointDir checkpoints(dir, /*keep=*/2);
  EXPECT_EQ(checkpoints.Latest(), "");
  for (int e = 1; e <= 4; ++e) {
    ASSERT_TRUE(checkpoints.Save(Sample(), "epoch_" + std::to_string(e) + ".pt").ok());
    fs::last_write_time(dir + "/epoch_" + std::to_string(e) + ".pt",
                        fs::file_time_type::clock::now() - std::chrono::seconds(10 - e));
  }
  EXPECT_FALSE(fs::exists(dir + "/epoch_1.pt"));
  EXPECT_FALSE(fs::exists(dir + "/epoch_2.pt"));
  EXPECT_TRUE(fs::exists(dir + "/epoch_3.pt"));
  EXPECT_EQ(fs::read_symlink(dir + "/latest.pt"), "epoch_4.pt");
  EXPECT_EQ(checkpoints.Latest(), dir + "/latest.pt");
  EXPECT_TRUE(LoadCheckpoint(checkpoints.Latest()).ok());

  auto resume = ResolveResumePath("auto", dir);
  ASSERT_TRUE(resume.ok());
  EXPECT_EQ(*resume, dir + "/latest.pt");
  EXPECT_EQ(*ResolveResumePath("auto", dir + "/empty"), "");
  EXPECT_EQ(*ResolveResumePath("", dir), "");
  EXPECT_FALSE(ResolveResumePath(dir + "/nope.pt", dir).ok());
}

}  // namespace
}  // namespace soho::train
