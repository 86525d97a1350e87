#include "soho/train/data_parallel.h"

#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"

namespace soho::train {
namespace {

// Tied weights appear under several names; the Reducer must see each tensor once.
template <typename Named>
std::vector<std::pair<std::string, at::Tensor>> Unique(const Named& named) {
  std::set<const void*> seen;
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : named) {
    if (seen.insert(item.value().unsafeGetTensorImpl()).second) out.emplace_back(item.key(), item.value());
  }
  return out;
}

absl::Status Failure(const DistributedContext& context, const std::string& what, const std::exception& e) {
  // DistributedContext::WaitOrThrow already explained it; c10d's own errors (from inside the
  // Reducer) are explained here.
  const std::string message = e.what();
  if (message.rfind("rank ", 0) == 0) return absl::UnavailableError(message);
  return absl::UnavailableError(context.Explain(what, message));
}

}  // namespace

DataParallel::DataParallel(std::shared_ptr<DistributedContext> context, std::vector<at::Tensor> parameters,
                           std::vector<at::Tensor> buffers, std::unique_ptr<c10d::Reducer> reducer,
                           size_t num_buckets)
    : context_(std::move(context)),
      parameters_(std::move(parameters)),
      buffers_(std::move(buffers)),
      reducer_(std::move(reducer)),
      num_buckets_(num_buckets) {}

DataParallel::~DataParallel() = default;

absl::StatusOr<std::unique_ptr<DataParallel>> DataParallel::Create(torch::nn::Module& model,
                                                                   std::shared_ptr<DistributedContext> context) {
  std::vector<at::Tensor> all_parameters, trainable;
  std::unordered_map<size_t, std::string> names;
  for (const auto& [name, p] : Unique(model.named_parameters())) {
    all_parameters.push_back(p);
    if (!p.requires_grad()) continue;
    names[trainable.size()] = name;
    trainable.push_back(p);
  }
  if (trainable.empty()) return absl::FailedPreconditionError("data parallel: the model has no trainable parameter");
  std::vector<at::Tensor> buffers;
  for (const auto& [name, b] : Unique(model.named_buffers())) buffers.push_back(b);

  // DDP's bucketing: the gradients of the last-defined parameters are ready first in
  // backward, so buckets are filled in reverse order; a small first bucket starts
  // communication early.
  std::vector<at::Tensor> reversed(trainable.rbegin(), trainable.rend());
  std::vector<int64_t> reversed_indices;
  for (size_t i = trainable.size(); i-- > 0;) reversed_indices.push_back(static_cast<int64_t>(i));
  const std::vector<size_t> limits = {static_cast<size_t>(c10d::kDefaultFirstBucketBytes),
                                      static_cast<size_t>(c10d::kDefaultBucketBytesCap)};
  std::unique_ptr<c10d::Reducer> reducer;
  size_t num_buckets = 0;
  try {
    auto [buckets, bucket_limits] =
        c10d::compute_bucket_assignment_by_size(reversed, limits, std::vector<bool>(reversed.size(), false),
                                                reversed_indices);
    num_buckets = buckets.size();
    reducer = std::make_unique<c10d::Reducer>(
        trainable, std::move(buckets), std::move(bucket_limits), context->gradient_group(),
        std::vector<bool>(trainable.size(), false), c10d::kDefaultBucketBytesCap,
        // Some parameters get no gradient in some iterations (a task branch without
        // samples); the Reducer then finds them from the loss's graph instead of waiting.
        /*find_unused_parameters=*/true,
        /*gradient_as_bucket_view=*/false, std::move(names), c10d::kDefaultFirstBucketBytes);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("data parallel: c10d Reducer: ", e.what()));
  }
  std::unique_ptr<DataParallel> out(new DataParallel(context, std::move(all_parameters), std::move(buffers),
                                                     std::move(reducer), num_buckets));
  for (const at::Tensor& p : trainable) out->gradient_bytes_ += p.numel() * p.element_size();
  LOG(INFO) << "data parallel over " << context->world_size() << " ranks: " << trainable.size()
            << " trainable tensors, " << out->gradient_bytes_ / 1e6 << " MB of gradients per step in "
            << num_buckets << " buckets";
  return out;
}

absl::Status DataParallel::Broadcast(const std::vector<at::Tensor>& tensors, const char* what) {
  std::map<at::ScalarType, std::vector<at::Tensor>> by_type;
  for (const at::Tensor& t : tensors) by_type[t.scalar_type()].push_back(t);
  at::NoGradGuard no_grad;
  try {
    for (auto& [type, group] : by_type) {
      std::vector<at::Tensor> flats;
      for (const at::Tensor& t : group) flats.push_back(t.detach().reshape({-1}));
      std::vector<at::Tensor> flat = {at::cat(flats)};
      context_->WaitOrThrow(context_->gradient_group()->broadcast(flat), what);
      int64_t offset = 0;
      for (const at::Tensor& t : group) {
        t.detach().copy_(flat[0].narrow(0, offset, t.numel()).view(t.sizes()));
        offset += t.numel();
      }
    }
  } catch (const std::exception& e) {
    return Failure(*context_, what, e);
  }
  return absl::OkStatus();
}

absl::Status DataParallel::BroadcastFromRank0() {
  SOHO_RETURN_IF_ERROR(Broadcast(parameters_, "broadcast of the parameters from rank 0"));
  return Broadcast(buffers_, "broadcast of the buffers from rank 0");
}

absl::Status DataParallel::SyncBuffers() { return Broadcast(buffers_, "broadcast of the buffers from rank 0"); }

absl::Status DataParallel::Backward(const at::Tensor& loss, bool average) {
  try {
    // Without prepare_for_backward the Reducer's hooks stay silent: local accumulation.
    if (average) reducer_->prepare_for_backward({loss});
    loss.backward();
  } catch (const std::exception& e) {
    return Failure(*context_, "gradient all-reduce", e);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DataParallel::AnyRank(bool flag) {
  std::vector<at::Tensor> t = {at::full({1}, flag ? 1 : 0, at::kInt)};
  try {
    context_->WaitOrThrow(context_->gradient_group()->allreduce(t), "stop-signal agreement");
  } catch (const std::exception& e) {
    return Failure(*context_, "stop-signal agreement", e);
  }
  return t[0].item<int>() > 0;
}

absl::StatusOr<std::vector<at::Tensor>> DataParallel::AllGather(const at::Tensor& tensor) {
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < context_->world_size(); ++r) outputs[0].push_back(at::empty_like(tensor));
  std::vector<at::Tensor> inputs = {tensor};
  try {
    context_->WaitOrThrow(context_->gradient_group()->allgather(outputs, inputs), "all-gather");
  } catch (const std::exception& e) {
    return Failure(*context_, "all-gather", e);
  }
  return outputs[0];
}

}  // namespace soho::train
