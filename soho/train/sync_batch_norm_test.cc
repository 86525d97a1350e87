// SyncBatchNorm over two ranks (threads sharing an in-process Collective) equals one
// BatchNorm over the whole batch: outputs, input and parameter gradients, running statistics.
#include "soho/train/sync_batch_norm.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>

#include "gtest/gtest.h"

namespace soho::train {
namespace {

// Sums tensors across `world` threads: each call blocks until every thread has made it.
class ThreadCollective {
 public:
  explicit ThreadCollective(int world) : world_(world) {}

  class Rank final : public Collective {
   public:
    Rank(ThreadCollective* shared, int rank) : shared_(shared), rank_(rank) {}
    int world_size() const override { return shared_->world_; }
    int rank() const override { return rank_; }
    void AllReduceSum(std::vector<at::Tensor>& tensors) override { shared_->Sum(tensors); }

   private:
    ThreadCollective* shared_;
    int rank_;
  };

 private:
  void Sum(std::vector<at::Tensor>& tensors) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int64_t generation = generation_;
    if (arrived_ == 0) {
      sums_.clear();
      for (const at::Tensor& t : tensors) sums_.push_back(t.clone());
    } else {
      for (size_t i = 0; i < tensors.size(); ++i) sums_[i].add_(tensors[i]);
    }
    if (++arrived_ == world_) {
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
    for (size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(sums_[i]);
    // The last one to read resets the round.
    if (++read_ == world_) {
      arrived_ = 0;
      read_ = 0;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return read_ == 0 || generation_ != generation + 1; });
    }
  }

  const int world_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int arrived_ = 0, read_ = 0;
  int64_t generation_ = 0;
  std::vector<at::Tensor> sums_;
};

struct Result {
  at::Tensor y, dx, dweight, dbias, running_mean, running_var;
};

Result Apply(torch::nn::BatchNorm2d bn, const at::Tensor& x_in, const at::Tensor& probe, Collective* collective,
             std::shared_ptr<Collective> owner) {
  at::Tensor x = x_in.clone().set_requires_grad(true);
  at::Tensor y = collective == nullptr ? bn->forward(x) : SyncBatchNormFn(owner)(*bn, x);
  (y * probe).sum().backward();
  return {y.detach(), x.grad(), bn->weight.grad().clone(), bn->bias.grad().clone(), bn->running_mean.clone(),
          bn->running_var.clone()};
}

TEST(SyncBatchNormTest, TwoRanksOverHalvesEqualOneBatchNormOverTheWhole) {
  at::manual_seed(3);
  const at::Tensor x = at::randn({4, 3, 5, 2}) * 2 + 1;
  const at::Tensor probe = at::randn({4, 3, 5, 2});
  auto make_bn = [] {
    torch::nn::BatchNorm2d bn(3);
    torch::NoGradGuard no_grad;
    bn->weight.copy_(at::tensor({0.5f, 2.0f, -1.0f}));
    bn->bias.copy_(at::tensor({0.1f, 0.0f, 0.3f}));
    return bn;
  };
  const Result whole = Apply(make_bn(), x, probe, nullptr, nullptr);

  ThreadCollective shared(2);
  std::vector<Result> parts(2);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] {
      auto collective = std::make_shared<ThreadCollective::Rank>(&shared, rank);
      parts[rank] = Apply(make_bn(), x.narrow(0, 2 * rank, 2), probe.narrow(0, 2 * rank, 2), collective.get(),
                          collective);
    });
  }
  for (auto& t : threads) t.join();

  auto close = [](const at::Tensor& a, const at::Tensor& b) { return at::allclose(a, b, 1e-5, 1e-5); };
  EXPECT_TRUE(close(at::cat({parts[0].y, parts[1].y}), whole.y));
  EXPECT_TRUE(close(at::cat({parts[0].dx, parts[1].dx}), whole.dx));
  // Each rank's parameter gradient is its own part; their sum is the whole batch's.
  EXPECT_TRUE(close(parts[0].dweight + parts[1].dweight, whole.dweight));
  EXPECT_TRUE(close(parts[0].dbias + parts[1].dbias, whole.dbias));
  for (const Result& part : parts) {
    EXPECT_TRUE(close(part.running_mean, whole.running_mean));
    EXPECT_TRUE(close(part.running_var, whole.running_var));
  }
  // The halves' own statistics differ from the whole's: a local BatchNorm would not match.
  const Result local = Apply(make_bn(), x.narrow(0, 0, 2), probe.narrow(0, 0, 2), nullptr, nullptr);
  EXPECT_FALSE(close(local.y, whole.y.narrow(0, 0, 2)));
}

}  // namespace
}  // namespace soho::train
