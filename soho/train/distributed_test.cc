// Distributed training over real processes: this binary re-runs itself as the ranks
// (DistributedWorker.Run, selected by SOHO_DIST_TEST_SCENARIO), talking Gloo on 127.0.0.1
// through a free port. Asserted: two ranks over halves of each batch equal one process over
// the whole batch (SyncBatchNorm and gradient accumulation included) and end identical; the
// real pre-training task ends identical on both ranks; a rank that is killed, or frozen,
// makes the other exit with an error naming it, within runtime.dist_timeout_s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/nn/modules/linear.h>
#include <torch/serialize.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "soho/data/prepare/synthetic_world.h"
#include "soho/model/conv_module.h"
#include "soho/model/weights.h"
#include "soho/proto/config_loader.h"
#include "soho/train/distributed_env.h"
#include "soho/train/distributed_run.h"
#include "soho/train/hooks.h"
#include "soho/train/pretrain_task.h"
#include "soho/train/runtime.h"

extern char** environ;

namespace soho::train {
namespace {

namespace fs = std::filesystem;

constexpr int kGlobalBatch = 4;

// ConvModule (conv + BatchNorm) -> spatial mean -> Linear, least squares on fixed data:
// 2 global batches of 4 per epoch. Rank r of W trains on rows [r*4/W, (r+1)*4/W) of each.
class ShardTask : public TrainTask {
 public:
  ShardTask(int rank, int world_size) : rank_(rank), world_size_(world_size) {
    at::manual_seed(1);  // the same data and initial weights on every rank and every run
    conv_ = holder_->register_module("conv", model::ConvModule(3, 4, 1));
    linear_ = holder_->register_module("linear", torch::nn::Linear(4, 2));
    x_ = at::randn({2 * kGlobalBatch, 3, 3, 3});
    y_ = at::randn({2 * kGlobalBatch, 2});
  }
  torch::nn::Module& model() override { return *holder_; }
  model::ConvModule& conv() { return conv_; }
  std::vector<model::TiedWeight> tied_weights() const override { return {}; }
  int64_t batches_per_epoch() const override { return 2; }
  absl::Status StartEpoch(int64_t, int64_t first_batch) override {
    next_ = first_batch;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> NextBatch() override {
    if (next_ >= batches_per_epoch()) return false;
    current_ = next_++;
    return true;
  }
  int64_t batch_images() const override { return kGlobalBatch / world_size_; }
  model::NamedTensors ForwardLosses() override {
    const int64_t rows = kGlobalBatch / world_size_;
    const int64_t start = current_ * kGlobalBatch + rank_ * rows;
    const at::Tensor features = conv_->forward(x_.narrow(0, start, rows)).mean({2, 3});
    return {{"loss", (linear_->forward(features) - y_.narrow(0, start, rows)).pow(2).mean()}};
  }
  absl::StatusOr<Scalars> Evaluate() override { return Scalars{}; }

 private:
  int rank_, world_size_;
  std::shared_ptr<torch::nn::Module> holder_ = std::make_shared<torch::nn::Module>();
  model::ConvModule conv_{nullptr};
  torch::nn::Linear linear_{nullptr};
  at::Tensor x_, y_;
  int64_t next_ = 0, current_ = 0;
};

proto::SohoConfig ShardConfig(const std::string& work_dir) {
  proto::SohoConfig config;
  config.mutable_optimizer()->set_lr(0.05);
  config.mutable_optimizer()->set_update_interval(2);  // one accumulating batch per step
  config.mutable_optimizer()->set_grad_clip_norm(0);
  config.mutable_schedule()->set_epochs(3);
  config.mutable_schedule()->set_warmup_iters(0);
  config.mutable_runtime()->set_work_dir(work_dir);
  config.mutable_runtime()->set_num_threads(1);
  config.mutable_runtime()->set_dist_timeout_s(5);
  return config;
}

// Records each iteration in `progress_file`; scenario "kill"/"freeze" ends or stops rank 1
// after iteration 3 (test code: the product has no fault injection).
class FaultHook : public TrainHook {
 public:
  FaultHook(int rank, std::string scenario) : rank_(rank), scenario_(std::move(scenario)) {}
  absl::Status AfterIteration(Trainer&, const IterationStats& stats) override {
    if (rank_ == 1 && stats.iteration == 3) {
      if (scenario_ == "kill") ::kill(::getpid(), SIGKILL);
      if (scenario_ == "freeze") ::kill(::getpid(), SIGSTOP);
    }
    return absl::OkStatus();
  }

 private:
  int rank_;
  std::string scenario_;
};

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<at::Tensor> LoadWeights(const std::string& path) {
  std::vector<at::Tensor> tensors;
  torch::load(tensors, path);
  return tensors;
}

// Trains ShardTask as this process's rank (or alone without launcher variables).
absl::Status TrainShards(const proto::SohoConfig& config, const std::string& scenario,
                         std::vector<at::Tensor>* weights) {
  SOHO_ASSIGN_OR_RETURN(auto env, ReadDistributedEnv());
  SOHO_ASSIGN_OR_RETURN(c10::Device device, SetUpRuntime(config.runtime(), env ? env->rank : 0));
  SOHO_ASSIGN_OR_RETURN(DistributedRun run, DistributedRun::Connect(env, config, device));
  ShardTask task(run.rank(), run.world_size());
  task.conv()->SetBatchNormFn(run.neck_batch_norm(config));
  SOHO_ASSIGN_OR_RETURN(TrainerOptions options, run.TrainerOptionsFor(task.model()));
  SOHO_ASSIGN_OR_RETURN(auto trainer, Trainer::Create(config, &task, options));
  trainer->AddHook(std::make_unique<FaultHook>(run.rank(), scenario));
  SOHO_RETURN_IF_ERROR(trainer->Run());
  for (const auto& [name, t] : model::CollectStateDict(task.model())) weights->push_back(t);
  return run.Finish();
}

// The real pre-training task on a tiny synthetic world, wired as tools/train_command.cc does.
proto::SohoConfig PretrainConfig(const std::string& world, const std::string& work_dir) {
  auto config = proto::ParseConfigText(absl::StrCat(R"(
model {
  backbone { depth: 18 frozen_stages: 1 }
  neck { kind: PRETRAIN_GATE out_channels: 32 dict_size: 8 mask_prob: 0.5 sync_bn: true }
  transformer { num_layers: 1 hidden_size: 32 num_heads: 4 intermediate_size: 64 vocab_size: 512 max_position_embeddings: 32 }
  head { kind: PRETRAIN }
}
data {
  train { annotation: ")", world, R"(/pretrain_train.json" image_root: ")", world, R"(/images" }
  vocab_file: ")", world, R"(/vocab.txt"
  image { train_scales { long_edge: 64 short_edge: 64 } test_scale { long_edge: 64 short_edge: 64 } }
  max_text_length: 12 sentence_group: 2 batch_size: 2 num_workers: 1
}
optimizer { lr: 1e-3 }
schedule { policy: COSINE epochs: 1 max_iters: 4 warmup_iters: 1 }
runtime { seed: 7 num_threads: 1 log_interval: 1 eval_interval_epochs: 0 dist_timeout_s: 20 work_dir: ")",
                                             work_dir, R"(" }
)"),
                                "distributed test config");
  EXPECT_TRUE(config.ok()) << config.status();
  proto::ResolveDefaults(&*config);
  EXPECT_TRUE(proto::ValidateConfig(*config).ok()) << proto::ValidateConfig(*config);
  return *config;
}

absl::Status TrainPretrain(const proto::SohoConfig& config, std::vector<at::Tensor>* weights) {
  SOHO_ASSIGN_OR_RETURN(auto env, ReadDistributedEnv());
  SOHO_ASSIGN_OR_RETURN(c10::Device device, SetUpRuntime(config.runtime(), env ? env->rank : 0));
  SOHO_ASSIGN_OR_RETURN(DistributedRun run, DistributedRun::Connect(env, config, device));
  SOHO_ASSIGN_OR_RETURN(auto task, PretrainTask::Create(config, run.placement(device)));
  task->net()->neck->SetBatchNormFn(run.neck_batch_norm(config));
  SOHO_ASSIGN_OR_RETURN(TrainerOptions options, run.TrainerOptionsFor(task->model()));
  SOHO_ASSIGN_OR_RETURN(auto trainer, Trainer::Create(config, task.get(), options));
  AddDefaultHooks(*trainer);
  SOHO_RETURN_IF_ERROR(trainer->Run());
  for (const auto& [name, t] : model::CollectStateDict(task->model())) weights->push_back(t);
  return run.Finish();
}

// ------------------------------------------------------------------ the worker processes

TEST(DistributedWorker, Run) {
  const char* out = std::getenv("SOHO_DIST_TEST_OUT");
  if (out == nullptr) GTEST_SKIP() << "runs only as a rank launched by the tests below";
  const std::string scenario = std::getenv("SOHO_DIST_TEST_SCENARIO");
  const std::string rank = std::getenv("RANK");
  std::vector<at::Tensor> weights;
  absl::Status status;
  try {  // as tools/train_command.cc: collectives inside the model report by exception
    status = scenario == "pretrain" ? TrainPretrain(PretrainConfig(std::getenv("SOHO_DIST_TEST_WORLD"),
                                                                   absl::StrCat(out, "/work")),
                                                    &weights)
                                    : TrainShards(ShardConfig(absl::StrCat(out, "/work")), scenario, &weights);
  } catch (const std::exception& e) {
    status = absl::InternalError(e.what());
  }
  WriteFile(absl::StrCat(out, "/status_", rank), status.ToString());
  ASSERT_TRUE(status.ok()) << status;
  torch::save(weights, absl::StrCat(out, "/weights_", rank, ".pt"));
}

// ------------------------------------------------------------------ the parent side

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct Ranks {
  std::vector<pid_t> pids;
  std::string out;
};

Ranks Launch(const std::string& scenario, int world_size, const std::vector<std::string>& extra_env = {}) {
  Ranks ranks;
  ranks.out = (fs::path(::testing::TempDir()) / absl::StrCat("dist_", scenario)).string();
  fs::remove_all(ranks.out);
  fs::create_directories(ranks.out);
  const int port = FreePort();
  for (int rank = 0; rank < world_size; ++rank) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    for (const std::string& var :
         {absl::StrCat("RANK=", rank), absl::StrCat("WORLD_SIZE=", world_size), absl::StrCat("LOCAL_RANK=", rank),
          absl::StrCat("LOCAL_WORLD_SIZE=", world_size), std::string("MASTER_ADDR=127.0.0.1"),
          absl::StrCat("MASTER_PORT=", port), "SOHO_DIST_TEST_OUT=" + ranks.out,
          "SOHO_DIST_TEST_SCENARIO=" + scenario}) {
      env.push_back(var);
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    const std::string log = absl::StrCat(ranks.out, "/log_", rank, ".txt");
    std::vector<std::string> args = {"/proc/self/exe", "--gtest_filter=DistributedWorker.Run"};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    ranks.pids.push_back(pid);
  }
  return ranks;
}

// Exit code of `pid` (128 + signal when killed), or -1 after `timeout` (the process is then killed).
int Wait(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

void ExpectClose(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b, double tolerance) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::allclose(a[i].to(at::kDouble), b[i].to(at::kDouble), tolerance, tolerance))
        << "tensor " << i << " max diff " << (a[i].to(at::kDouble) - b[i].to(at::kDouble)).abs().max().item<double>();
  }
}

void ExpectIdentical(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "tensor " << i;
}

TEST(DistributedTest, TwoRanksOverHalfBatchesEqualOneProcessOverTheWholeBatch) {
  const Ranks ranks = Launch("shards", 2);
  for (size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(Wait(ranks.pids[r], std::chrono::seconds(60)), 0) << ReadFile(absl::StrCat(ranks.out, "/log_", r, ".txt"));
  }
  const auto rank0 = LoadWeights(ranks.out + "/weights_0.pt");
  const auto rank1 = LoadWeights(ranks.out + "/weights_1.pt");
  ExpectIdentical(rank0, rank1);

  std::vector<at::Tensor> alone;
  const std::string dir = (fs::path(::testing::TempDir()) / "alone").string();
  ASSERT_TRUE(TrainShards(ShardConfig(dir), "", &alone).ok());
  ExpectClose(rank0, alone, 1e-5);  // weights and the BatchNorm running statistics
  // The training moved the weights (else equality would prove nothing).
  ShardTask untouched(0, 1);
  const auto initial = model::CollectStateDict(untouched.model());
  EXPECT_FALSE(at::allclose(initial[0].second, alone[0], 1e-3, 1e-3));
}

TEST(DistributedTest, PretrainingEndsWithIdenticalWeightsOnBothRanks) {
  data::SyntheticWorldOptions world;
  world.out_dir = (fs::path(::testing::TempDir()) / "dist_world").string();
  world.num_images = 8;
  world.num_eval_images = 2;
  world.seed = 5;
  world.num_threads = 1;
  auto report = data::GenerateSyntheticWorld(world);
  ASSERT_TRUE(report.ok()) << report.status();
  const Ranks ranks = Launch("pretrain", 2, {"SOHO_DIST_TEST_WORLD=" + world.out_dir});
  for (size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(Wait(ranks.pids[r], std::chrono::seconds(120)), 0) << ReadFile(absl::StrCat(ranks.out, "/log_", r, ".txt"));
  }
  ExpectIdentical(LoadWeights(ranks.out + "/weights_0.pt"), LoadWeights(ranks.out + "/weights_1.pt"));
  EXPECT_TRUE(fs::exists(ranks.out + "/work/latest.pt"));
}

void ExpectRankZeroNamesLostRankOne(const std::string& scenario, int expected_rank1_code) {
  const auto start = std::chrono::steady_clock::now();
  const Ranks ranks = Launch(scenario, 2);
  const int code0 = Wait(ranks.pids[0], std::chrono::seconds(40));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string log0 = ReadFile(ranks.out + "/log_0.txt");
  EXPECT_NE(code0, 0) << log0;
  EXPECT_NE(code0, -1) << "rank 0 hung: " << log0;
  EXPECT_LT(seconds, 30) << "dist_timeout_s is 5";
  const std::string status0 = ReadFile(ranks.out + "/status_0");
  EXPECT_NE(status0.find("lost rank 1"), std::string::npos) << status0;
  // A frozen rank is still there: end it (it is ours).
  if (expected_rank1_code < 0) ::kill(ranks.pids[1], SIGKILL);
  const int code1 = Wait(ranks.pids[1], std::chrono::seconds(10));
  if (expected_rank1_code > 0) EXPECT_EQ(code1, expected_rank1_code);
}

TEST(DistributedTest, KilledRankMakesTheOtherExitNamingIt) { ExpectRankZeroNamesLostRankOne("kill", 128 + SIGKILL); }

TEST(DistributedTest, FrozenRankMakesTheOtherExitNamingItWithinTheTimeout) {
  ExpectRankZeroNamesLostRankOne("freeze", -1);
}

}  // namespace
}  // namespace soho::train
