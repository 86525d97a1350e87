#include "soho/model/visual_dictionary.h"

#include <algorithm>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

namespace soho::model {

VisualDictionaryImpl::VisualDictionaryImpl(const VisualDictionaryOptions& options,
                                           std::shared_ptr<Collective> collective)
    : options_(options), current_decay_(options.decay) {
  TORCH_CHECK(options.num_tokens > 0 && options.dim > 0, "empty visual dictionary");
  embed = register_buffer("embed", at::randn({options.num_tokens, options.dim}));
  cluster_size = register_buffer("cluster_size", at::zeros({options.num_tokens}));
  cluster_sum = register_buffer("cluster_sum", at::zeros({options.num_tokens}));
  embed_avg = register_buffer("embed_avg", at::zeros({options.num_tokens, options.dim}));
  set_collective(std::move(collective));
}

void VisualDictionaryImpl::set_collective(std::shared_ptr<Collective> collective) {
  collective_ = collective ? std::move(collective) : std::make_shared<LocalCollective>();
}

void VisualDictionaryImpl::SetIteration(int64_t iteration) {
  if (!options_.decay_ramp) return;
  current_decay_ = std::min(options_.decay * static_cast<double>(iteration), options_.max_decay);
}

VisualDictionaryImpl::Output VisualDictionaryImpl::forward(const at::Tensor& features) {
  TORCH_CHECK(features.dim() == 2 && features.size(1) == options_.dim,
              "visual dictionary expects [M, ", options_.dim, "], got ", features.sizes());
  // Dictionary arithmetic in the dictionary's precision, float32 even under autocast: with
  // bfloat16 distances (8 bits of mantissa) the arg-min would pick other entries. Excluding
  // the autocast dispatch keys is what autocast's own fp32 ops do.
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  const at::Tensor x = features.to(embed.scalar_type());
  at::Tensor indices;
  {
    at::NoGradGuard no_grad;
    // ||x||^2 + ||e||^2 - 2 x.e, as the reference (argmin is all that is used).
    const at::Tensor distances =
        at::addmm(x.pow(2).sum(1, /*keepdim=*/true) + embed.pow(2).sum(1), x, embed.t(),
                  /*beta=*/1, /*alpha=*/-2);
    indices = distances.argmin(1);
    if (is_training()) Update(x, indices);
  }
  const at::Tensor quantized = embed.index_select(0, indices);
  // Straight-through: the value of `quantized`, the gradient of `x`.
  return {(quantized - x).detach() + x, indices};
}

void VisualDictionaryImpl::Update(const at::Tensor& x, const at::Tensor& indices) {
  const int64_t num_tokens = options_.num_tokens;
  at::Tensor counts = at::zeros({num_tokens}, x.options())
                          .index_add_(0, indices, at::ones({x.size(0)}, x.options()));
  at::Tensor sums = at::zeros({num_tokens, options_.dim}, x.options()).index_add_(0, indices, x);
  std::vector<at::Tensor> statistics = {counts, sums};
  collective_->AllReduceSum(statistics);

  const double decay = current_decay_;
  cluster_sum.add_(counts);
  cluster_size.mul_(decay).add_(counts, 1.0 - decay);
  embed_avg.mul_(decay).add_(sums, 1.0 - decay);
  // Laplace smoothing keeps unused entries from dividing by zero.
  const at::Tensor n = cluster_size.sum();
  const at::Tensor smoothed = (cluster_size + options_.eps) / (n + num_tokens * options_.eps) * n;
  at::Tensor normalized = embed_avg / smoothed.unsqueeze(1);
  if (collective_->world_size() > 1) {
    // The reference averages the new dictionary over ranks (identical up to rounding).
    std::vector<at::Tensor> dictionary = {normalized};
    collective_->AllReduceSum(dictionary);
    normalized.div_(collective_->world_size());
  }
  embed.copy_(normalized);
}

}  // namespace soho::model
