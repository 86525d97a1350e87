#pragma once
// Distributed data parallel on c10d's own DDP engine: the Reducer
// (torch/csrc/distributed/c10d/reducer.hpp) puts the parameters in ~25 MB buckets (1 MB
// for the first, in reverse order of definition, as PyTorch's DDP does), registers a hook on
// each parameter's gradient accumulator, and launches a bucket's all-reduce as soon as its
// last gradient is ready, so communication overlaps the rest of backward; the averaged
// gradients are written back when backward ends. Batches that only accumulate gradients
// (optimizer.update_interval > 1) skip the Reducer entirely, like DDP's no_sync().
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "absl/status/statusor.h"
#include "soho/train/process_group.h"
#include "soho/train/trainer.h"

namespace c10d {
class Reducer;
}

namespace soho::train {

class DataParallel final : public GradientSync {
 public:
  // Buckets `model`'s trainable parameters (each shared tensor once); frozen ones (e.g. the
  // backbone's frozen stages) are neither reduced nor waited for.
  static absl::StatusOr<std::unique_ptr<DataParallel>> Create(torch::nn::Module& model,
                                                              std::shared_ptr<DistributedContext> context);
  ~DataParallel() override;

  absl::Status BroadcastFromRank0() override;
  absl::Status Backward(const at::Tensor& loss, bool average) override;
  absl::Status SyncBuffers() override;
  absl::StatusOr<bool> AnyRank(bool flag) override;
  absl::StatusOr<std::vector<at::Tensor>> AllGather(const at::Tensor& tensor) override;

  // Bytes all-reduced per optimizer step (the gradients of the trainable parameters).
  int64_t gradient_bytes() const { return gradient_bytes_; }
  size_t num_buckets() const { return num_buckets_; }

 private:
  DataParallel(std::shared_ptr<DistributedContext> context, std::vector<at::Tensor> parameters,
               std::vector<at::Tensor> buffers, std::unique_ptr<c10d::Reducer> reducer, size_t num_buckets);
  // Rank 0's values into `tensors`, in place (one flat broadcast per dtype).
  absl::Status Broadcast(const std::vector<at::Tensor>& tensors, const char* what);

  std::shared_ptr<DistributedContext> context_;
  std::vector<at::Tensor> parameters_;  // all of them, frozen included, for the broadcast
  std::vector<at::Tensor> buffers_;
  std::unique_ptr<c10d::Reducer> reducer_;
  size_t num_buckets_;
  int64_t gradient_bytes_ = 0;
};

}  // namespace soho::train
