// The training loop: gradient accumulation equals the full batch, non-finite losses are
// skipped and then stop the run, the real pre-training task learns, runs in bf16 on the CPU,
// and resumes bit for bit (after SIGTERM, and from a mid-epoch iteration checkpoint as after
// a kill -9); finetune_vqa's init from a pre-training checkpoint.
#include "soho/train/trainer.h"

#include <csignal>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/nn/modules/linear.h>

#include "gtest/gtest.h"
#include "soho/common/collective.h"
#include "soho/data/prepare/synthetic_world.h"
#include "soho/model/weights.h"
#include "soho/proto/config_loader.h"
#include "soho/train/hooks.h"
#include "soho/train/pretrain_task.h"
#include "soho/train/runtime.h"
#include "soho/train/vqa_task.h"

namespace soho::train {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  return dir.string();
}

// ------------------------------------------------------------------ a task on fixed data

// Least squares on 4 fixed rows, in batches of `rows_per_batch`; a batch listed in
// `nan_batches` (global iteration index) has a NaN loss.
class LinearTask : public TrainTask {
 public:
  LinearTask(int rows_per_batch, std::vector<int64_t> nan_batches = {})
      : rows_per_batch_(rows_per_batch), nan_batches_(std::move(nan_batches)) {
    at::manual_seed(1);  // the same initial weights and data for every instance
    linear_ = holder_->register_module("linear", torch::nn::Linear(3, 1));
    x_ = at::randn({4, 3});
    y_ = at::randn({4, 1});
  }
  torch::nn::Module& model() override { return *holder_; }
  std::vector<model::TiedWeight> tied_weights() const override { return {}; }
  int64_t batches_per_epoch() const override { return 4 / rows_per_batch_; }
  absl::Status StartEpoch(int64_t, int64_t first_batch) override {
    next_ = first_batch;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> NextBatch() override {
    if (next_ >= batches_per_epoch()) return false;
    current_ = next_++;
    return true;
  }
  int64_t batch_images() const override { return rows_per_batch_; }
  model::NamedTensors ForwardLosses() override {
    const at::Tensor x = x_.narrow(0, current_ * rows_per_batch_, rows_per_batch_);
    const at::Tensor y = y_.narrow(0, current_ * rows_per_batch_, rows_per_batch_);
    at::Tensor loss = (linear_->forward(x) - y).pow(2).mean();
    if (std::find(nan_batches_.begin(), nan_batches_.end(), iteration_) != nan_batches_.end()) {
      loss = loss * std::nan("");
    }
    return {{"loss", loss}};
  }
  void SetIteration(int64_t iteration) override { iteration_ = iteration; }
  absl::StatusOr<Scalars> Evaluate() override { return Scalars{}; }
  at::Tensor weight() const { return linear_->weight.detach().clone(); }

 private:
  std::shared_ptr<torch::nn::Module> holder_ = std::make_shared<torch::nn::Module>();
  torch::nn::Linear linear_{nullptr};
  int rows_per_batch_;
  std::vector<int64_t> nan_batches_;
  at::Tensor x_, y_;
  int64_t next_ = 0, current_ = 0, iteration_ = 0;
};

proto::SohoConfig LinearConfig(int update_interval, int epochs) {
  proto::SohoConfig config;
  config.mutable_optimizer()->set_lr(0.05);
  config.mutable_optimizer()->set_update_interval(update_interval);
  config.mutable_optimizer()->set_grad_clip_norm(0);
  config.mutable_schedule()->set_epochs(epochs);
  config.mutable_schedule()->set_warmup_iters(0);
  config.mutable_runtime()->set_max_nonfinite_steps(3);
  return config;
}

TEST(TrainerTest, AccumulatingTwoHalfBatchesEqualsOneFullBatch) {
  LinearTask full(/*rows_per_batch=*/4), halves(/*rows_per_batch=*/2);
  ASSERT_TRUE(full.weight().equal(halves.weight()));
  auto a = Trainer::Create(LinearConfig(/*update_interval=*/1, /*epochs=*/3), &full, {});
  auto b = Trainer::Create(LinearConfig(/*update_interval=*/2, /*epochs=*/3), &halves, {});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Run().ok());
  ASSERT_TRUE((*b)->Run().ok());
  EXPECT_EQ((*a)->optimizer().steps(), 3);
  EXPECT_EQ((*b)->optimizer().steps(), 3);
  EXPECT_LE((full.weight() - halves.weight()).abs().max().item<double>(), 1e-6);
  EXPECT_FALSE(full.weight().equal(LinearTask(4).weight()));
}

TEST(TrainerTest, NonFiniteLossSkipsTheStepThenStopsTheRunWhenRepeated) {
  LinearTask once(/*rows_per_batch=*/4, /*nan_batches=*/{1});
  auto trainer = Trainer::Create(LinearConfig(1, /*epochs=*/4), &once, {});
  ASSERT_TRUE(trainer.ok());
  ASSERT_TRUE((*trainer)->Run().ok());
  EXPECT_EQ((*trainer)->optimizer().steps(), 3);  // 4 iterations, one skipped

  LinearTask always(/*rows_per_batch=*/4, /*nan_batches=*/{0, 1, 2, 3, 4, 5});
  trainer = Trainer::Create(LinearConfig(1, /*epochs=*/6), &always, {});
  ASSERT_TRUE(trainer.ok());
  const absl::Status status = (*trainer)->Run();
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_NE(std::string(status.message()).find("3 optimizer steps in a row"), std::string::npos) << status;
  EXPECT_NE(std::string(status.message()).find("iteration 3"), std::string::npos) << status;
}

// ---------------------------------------------------------- the real tasks on a tiny world

class SyntheticWorldTrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    at::set_num_threads(1);
    data::SyntheticWorldOptions world;
    world.out_dir = TempDir("world");
    world.num_images = 8;
    world.num_eval_images = 2;
    world.seed = 6;  // 4 landscape and 4 portrait images: whole batches in both aspect groups
    world.num_threads = 1;
    auto report = data::GenerateSyntheticWorld(world);
    ASSERT_TRUE(report.ok()) << report.status();
    world_dir_ = new std::string(world.out_dir);
    num_answers_ = report->num_answers;
  }

  // Tiny model, 64x64 images, 2 epochs of 6 batches (8 images x 3 caption chunks / 4).
  static proto::SohoConfig Config(const std::string& kind, const std::string& work_dir) {
    const std::string& w = *world_dir_;
    const bool vqa = kind == "vqa";
    const std::string text = absl::StrCat(R"(
model {
  backbone { depth: 18 frozen_stages: 1 }
  neck { kind: )", vqa ? "VQA" : "PRETRAIN_GATE", R"( out_channels: 32 dict_size: 8 mask_prob: 0.5 }
  transformer { num_layers: 1 hidden_size: 32 num_heads: 4 intermediate_size: 64 vocab_size: 512 max_position_embeddings: 32 }
  head { kind: )", vqa ? "VQA" : "PRETRAIN", " num_answers: ", num_answers_, R"( vqa_hidden_size: 48 }
}
data {
  train { annotation: ")", w, "/", kind, R"(_train.json" image_root: ")", w, R"(/images" }
  val { annotation: ")", w, "/", kind, R"(_val.json" image_root: ")", w, R"(/images" }
  vocab_file: ")", w, R"(/vocab.txt"
  image { train_scales { long_edge: 64 short_edge: 64 } test_scale { long_edge: 64 short_edge: 64 } }
  max_text_length: 12 sentence_group: 2 batch_size: 4 eval_batch_size: 8 num_workers: 1
}
optimizer {
  lr: 1e-3
  groups { name_regex: "^backbone\\." optimizer: SGD lr_mult: 10 weight_decay: 1e-4 }
}
schedule { policy: COSINE epochs: 2 warmup_iters: 3 }
runtime {
  seed: 7 num_threads: 1 log_interval: 2 checkpoint_interval_iters: 4 keep_checkpoints: 0
  work_dir: ")", work_dir, R"("
}
)");
    auto config = proto::ParseConfigText(text, "test config");
    EXPECT_TRUE(config.ok()) << config.status();
    proto::ResolveDefaults(&*config);
    EXPECT_TRUE(proto::ValidateConfig(*config).ok()) << proto::ValidateConfig(*config);
    return *config;
  }

  struct Run {
    absl::Status status;
    model::StateDict weights;
    std::vector<double> losses;
    int64_t iteration = 0;
  };

  // Records the loss of every iteration; optionally raises SIGTERM after `term_at`.
  class Probe : public TrainHook {
   public:
    Probe(Run* run, int64_t term_at) : run_(run), term_at_(term_at) {}
    absl::Status AfterIteration(Trainer&, const IterationStats& stats) override {
      run_->losses.push_back(stats.losses.at("loss"));
      if (stats.iteration == term_at_) std::raise(SIGTERM);
      return absl::OkStatus();
    }

   private:
    Run* run_;
    int64_t term_at_;
  };

  static Run Train(const proto::SohoConfig& config, int64_t term_at = -1) {
    Run run;
    auto device = SetUpRuntime(config.runtime());
    EXPECT_TRUE(device.ok()) << device.status();
    std::unique_ptr<TrainTask> task;
    if (config.model().head().kind() == proto::HeadConfig::VQA) {
      auto vqa = VqaTask::Create(config, {*device});
      EXPECT_TRUE(vqa.ok()) << vqa.status();
      task = std::move(*vqa);
    } else {
      auto pretrain = PretrainTask::Create(config, {*device});
      EXPECT_TRUE(pretrain.ok()) << pretrain.status();
      task = std::move(*pretrain);
    }
    auto trainer = Trainer::Create(config, task.get(), {});
    if (!trainer.ok()) {
      run.status = trainer.status();
      return run;
    }
    AddDefaultHooks(**trainer);
    (*trainer)->AddHook(std::make_unique<Probe>(&run, term_at));
    run.status = (*trainer)->Run();
    run.weights = model::CollectStateDict(task->model());
    run.iteration = (*trainer)->position().iteration;
    return run;
  }

  static void ExpectBitIdentical(const model::StateDict& a, const model::StateDict& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].first, b[i].first);
      EXPECT_TRUE(a[i].second.equal(b[i].second)) << a[i].first << " differs";
    }
  }

  static std::string* world_dir_;
  static int num_answers_;
};

std::string* SyntheticWorldTrainerTest::world_dir_ = nullptr;
int SyntheticWorldTrainerTest::num_answers_ = 0;

TEST_F(SyntheticWorldTrainerTest, ResumeAfterSigtermOrFromAMidEpochCheckpointIsBitIdentical) {
  const std::string straight_dir = TempDir("straight");
  const Run straight = Train(Config("pretrain", straight_dir));
  ASSERT_TRUE(straight.status.ok()) << straight.status;
  ASSERT_EQ(straight.iteration, 12);
  for (const char* file : {"iter_4.pt", "iter_8.pt", "epoch_1.pt", "epoch_2.pt", "latest.pt", "metrics.jsonl",
                           "config.pbtxt"}) {
    EXPECT_TRUE(fs::exists(fs::path(straight_dir) / file)) << file;
  }

  // SIGTERM after iteration 5: a checkpoint is written and the run stops; --resume=auto
  // finishes it.
  const std::string term_dir = TempDir("term");
  const Run interrupted = Train(Config("pretrain", term_dir), /*term_at=*/5);
  EXPECT_TRUE(absl::IsCancelled(interrupted.status)) << interrupted.status;
  EXPECT_EQ(interrupted.iteration, 5);
  EXPECT_TRUE(fs::exists(fs::path(term_dir) / "iter_5.pt"));
  proto::SohoConfig resume = Config("pretrain", term_dir);
  resume.mutable_runtime()->set_resume_from("auto");
  const Run resumed = Train(resume);
  ASSERT_TRUE(resumed.status.ok()) << resumed.status;
  EXPECT_EQ(resumed.losses.size(), 7u);
  ExpectBitIdentical(resumed.weights, straight.weights);

  // As after a kill -9 during epoch 2: the uninterrupted run's iteration-8 checkpoint
  // (epoch 2, batch 2) in another work dir.
  proto::SohoConfig from_iter = Config("pretrain", TempDir("from_iter"));
  from_iter.mutable_runtime()->set_resume_from(straight_dir + "/iter_8.pt");
  const Run killed = Train(from_iter);
  ASSERT_TRUE(killed.status.ok()) << killed.status;
  EXPECT_EQ(killed.losses, std::vector<double>(straight.losses.begin() + 8, straight.losses.end()));
  ExpectBitIdentical(killed.weights, straight.weights);
}

TEST_F(SyntheticWorldTrainerTest, PretrainingLossDecreasesOnATinyBatch) {
  proto::SohoConfig config = Config("pretrain", TempDir("overfit"));
  config.mutable_schedule()->set_epochs(40);
  config.mutable_schedule()->set_max_iters(40);
  config.mutable_runtime()->set_checkpoint_interval_iters(0);
  config.mutable_runtime()->set_checkpoint_interval_epochs(0);
  config.mutable_runtime()->set_eval_interval_epochs(0);
  config.mutable_data()->set_batch_size(24);  // the whole world in one batch (per aspect group)
  config.mutable_optimizer()->set_lr(5e-3);
  const Run run = Train(config);
  ASSERT_TRUE(run.status.ok()) << run.status;
  ASSERT_EQ(run.losses.size(), 40u);
  const double first = (run.losses[0] + run.losses[1] + run.losses[2]) / 3;
  const double last = (run.losses[37] + run.losses[38] + run.losses[39]) / 3;
  EXPECT_LT(last, 0.7 * first) << "first " << first << " last " << last;
}

TEST_F(SyntheticWorldTrainerTest, Bf16StepsRunOnTheCpuForBothTasks) {
  for (const char* kind : {"pretrain", "vqa"}) {
    proto::SohoConfig config = Config(kind, TempDir(std::string("bf16_") + kind));
    config.mutable_runtime()->set_precision(proto::RuntimeConfig::BF16);
    config.mutable_schedule()->set_max_iters(2);
    const Run run = Train(config);
    ASSERT_TRUE(run.status.ok()) << kind << ": " << run.status;
    ASSERT_EQ(run.losses.size(), 2u);
    for (double loss : run.losses) EXPECT_TRUE(std::isfinite(loss)) << kind;
  }
}

TEST_F(SyntheticWorldTrainerTest, VqaStartsFromAPretrainingCheckpointWithAFreshHead) {
  const std::string pre_dir = TempDir("pre_for_vqa");
  proto::SohoConfig pre = Config("pretrain", pre_dir);
  pre.mutable_schedule()->set_max_iters(2);
  ASSERT_TRUE(Train(pre).status.ok());
  proto::SohoConfig vqa = Config("vqa", TempDir("vqa"));
  vqa.mutable_runtime()->add_init_from(pre_dir + "/latest.pt");
  vqa.mutable_schedule()->set_max_iters(2);
  const Run run = Train(vqa);
  ASSERT_TRUE(run.status.ok()) << run.status;

  // A pre-training config refuses a VQA work: the task names the fields.
  auto device = SetUpRuntime(vqa.runtime());
  auto wrong = PretrainTask::Create(vqa, {*device});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(std::string(wrong.status().message()).find("model.head.kind"), std::string::npos);
}

TEST_F(SyntheticWorldTrainerTest, MismatchedCheckpointIsRefusedByName) {
  const std::string pre_dir = TempDir("pre_mismatch");
  proto::SohoConfig pre = Config("pretrain", pre_dir);
  pre.mutable_schedule()->set_max_iters(1);
  ASSERT_TRUE(Train(pre).status.ok());
  proto::SohoConfig other = Config("pretrain", TempDir("mismatch"));
  other.mutable_model()->mutable_neck()->set_dict_size(16);
  other.mutable_runtime()->set_resume_from(pre_dir + "/latest.pt");
  const Run run = Train(other);
  ASSERT_FALSE(run.status.ok());
  EXPECT_NE(std::string(run.status.message()).find("does not match this model"), std::string::npos) << run.status;
  EXPECT_NE(std::string(run.status.message()).find("neck.vq.embed"), std::string::npos) << run.status;
}

// Stands in for rank 1 of 2 in a validation sum: adds a known share to what rank 0 brings,
// and keeps what rank 0 brought.
class SecondRankCollective final : public Collective {
 public:
  explicit SecondRankCollective(std::vector<double> other) : other_(std::move(other)) {}
  int world_size() const override { return 2; }
  int rank() const override { return 0; }
  void AllReduceSum(std::vector<at::Tensor>& tensors) override {
    ASSERT_EQ(tensors.size(), 1u);
    const at::Tensor t = tensors[0].cpu();
    mine_.assign(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
    ASSERT_EQ(mine_.size(), other_.size());
    tensors[0].add_(at::tensor(other_, at::kDouble));
  }
  const std::vector<double>& mine() const { return mine_; }

 private:
  std::vector<double> other_, mine_;
};

TEST_F(SyntheticWorldTrainerTest, ValidationReportsEveryRanksShare) {
  auto device = SetUpRuntime(Config("pretrain", TempDir("val_sum")).runtime());
  ASSERT_TRUE(device.ok());
  // Rank 1's MLM 3 of 4 tokens, MVM 0 of 0 cells, ITM 5 of 8 captions, 1 of them right
  // among the 2 swapped ones.
  auto pre_sum = std::make_shared<SecondRankCollective>(std::vector<double>{3, 4, 0, 0, 5, 8, 1, 2});
  auto pretrain = PretrainTask::Create(Config("pretrain", TempDir("val_sum_pre")), {*device, 0, 2, pre_sum});
  ASSERT_TRUE(pretrain.ok()) << pretrain.status();
  auto scalars = (*pretrain)->Evaluate();
  ASSERT_TRUE(scalars.ok()) << scalars.status();
  const std::vector<double>& m = pre_sum->mine();
  ASSERT_EQ(m.size(), 8u);
  EXPECT_GT(m[1], 0);
  EXPECT_GT(m[5], 0);
  EXPECT_DOUBLE_EQ(scalars->at("acc_l"), 100.0 * (m[0] + 3) / (m[1] + 4));
  EXPECT_DOUBLE_EQ(scalars->at("acc_match"), 100.0 * (m[4] + 5) / (m[5] + 8));
  const double matched = (m[4] - m[6] + 4) / (m[5] - m[7] + 6), swapped = (m[6] + 1) / (m[7] + 2);
  EXPECT_NEAR(scalars->at("acc_match_balanced"), 100.0 * (matched + swapped) / 2, 1e-9);

  // Rank 1 answered 2 questions with soft scores summing to 1.5 (x100).
  auto vqa_sum = std::make_shared<SecondRankCollective>(std::vector<double>{150, 2});
  auto vqa = VqaTask::Create(Config("vqa", TempDir("val_sum_vqa")), {*device, 0, 2, vqa_sum});
  ASSERT_TRUE(vqa.ok()) << vqa.status();
  scalars = (*vqa)->Evaluate();
  ASSERT_TRUE(scalars.ok()) << scalars.status();
  ASSERT_EQ(vqa_sum->mine().size(), 2u);
  EXPECT_GT(vqa_sum->mine()[1], 0);
  EXPECT_NEAR(scalars->at("vqa_score"), (vqa_sum->mine()[0] + 150) / (vqa_sum->mine()[1] + 2), 1e-9);
  EXPECT_EQ(scalars->count("vqa_accuracy"), 0u) << "the official metric needs every question on one rank";
}

}  // namespace
}  // namespace soho::train
