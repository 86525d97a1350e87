#pragma once
// The processes of a distributed run, connected through c10d (PyTorch's own engine): a
// TCPStore rendezvous at MASTER_ADDR:MASTER_PORT and process groups over it, Gloo on the
// CPU, NCCL under the CUDA build (SOHO_WITH_NCCL). Every wait is bounded by
// runtime.dist_timeout_s, and a failed collective becomes an error that names the rank that
// was lost, found by a heartbeat each rank keeps in the store: a dead or frozen peer stops
// beating, so the survivors exit with a message instead of hanging.
//
//   SOHO_ASSIGN_OR_RETURN(auto dist, DistributedContext::Connect(env, device, timeout));
//   auto collective = std::make_shared<ProcessGroupCollective>(dist);  // e.g. for PretrainTask::Create
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include "absl/status/statusor.h"
#include "soho/common/collective.h"
#include "soho/train/distributed_env.h"

namespace soho::train {

class DistributedContext {
 public:
  // Rendezvous and connect. Rank 0 hosts the store unless torchrun's agent already does
  // (TORCHELASTIC_USE_AGENT_STORE=True); keys live under the restart attempt so that a
  // restarted group never reads the previous attempt's. Fails (naming the address and the
  // timeout) when the other ranks do not show up in time.
  static absl::StatusOr<std::shared_ptr<DistributedContext>> Connect(const DistributedEnv& env, c10::Device device,
                                                                     std::chrono::seconds timeout);
  ~DistributedContext();
  DistributedContext(const DistributedContext&) = delete;
  DistributedContext& operator=(const DistributedContext&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  const DistributedEnv& env() const { return env_; }
  std::chrono::seconds timeout() const { return timeout_; }

  // Gradients and parameter/buffer broadcasts (the Reducer's group).
  const c10::intrusive_ptr<c10d::ProcessGroup>& gradient_group() const { return gradient_group_; }
  // Collectives inside the model's forward and backward (Visual Dictionary, SyncBatchNorm),
  // on a group of their own so that they can never interleave with the Reducer's buckets,
  // which complete asynchronously during backward.
  c10d::ProcessGroup& model_group() const { return *model_group_; }

  // Waits for `work`; on failure throws std::runtime_error with Explain's message (for the
  // Collective interface, which cannot return a status).
  void WaitOrThrow(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) const;

  // The message for a failed collective (`what`, with c10d's `error`): which ranks stopped
  // beating (dead or frozen), or that rank 0's store is gone, or that all ranks are alive
  // and one is stuck elsewhere. Takes a few heartbeat periods to decide.
  std::string Explain(const std::string& what, const std::string& error) const;

  // Every rank reached this point (end of a run: rank 0's store must outlive the others' use).
  absl::Status Barrier();

 private:
  DistributedContext(const DistributedEnv& env, std::chrono::seconds timeout);
  void Beat();

  DistributedEnv env_;
  std::chrono::seconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  // A separate connection for the heartbeat thread and for Explain, so neither queues
  // behind (or corrupts) a blocking request of the main thread.
  c10::intrusive_ptr<c10d::Store> heartbeat_store_;
  c10::intrusive_ptr<c10d::Store> diagnosis_store_;
  c10::intrusive_ptr<c10d::ProcessGroup> gradient_group_;
  c10::intrusive_ptr<c10d::ProcessGroup> model_group_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread heartbeat_;
};

// soho::Collective on the context's model group.
class ProcessGroupCollective final : public Collective {
 public:
  explicit ProcessGroupCollective(std::shared_ptr<DistributedContext> context) : context_(std::move(context)) {}
  int world_size() const override { return context_->world_size(); }
  int rank() const override { return context_->rank(); }
  // Throws std::runtime_error naming the lost rank when a peer is gone.
  void AllReduceSum(std::vector<at::Tensor>& tensors) override;

 private:
  std::shared_ptr<DistributedContext> context_;
};

}  // namespace soho::train
