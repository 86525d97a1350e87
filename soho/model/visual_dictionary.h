#pragma once
// SOHO's Visual Dictionary (VD): quantizes each grid feature to its nearest dictionary entry
// and keeps the dictionary as a moving average of the features assigned to each entry (no
// gradient reaches it). The statistics of one step are summed over all ranks through the
// injected Collective before the update, so every rank holds the same dictionary.
//
// Buffers (checkpointed, reference names): embed [K, C], cluster_size [K] (moving average
// of assignment counts), cluster_sum [K] (total assignments ever), embed_avg [K, C].
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "soho/common/collective.h"

namespace soho::model {

struct VisualDictionaryOptions {
  int64_t num_tokens = 2048;
  int64_t dim = 768;
  // Moving-average decay: constant `decay` (what the released reference runs), or with
  // decay_ramp min(decay * t, max_decay) at iteration t.
  double decay = 0.4;
  double max_decay = 0.99;
  bool decay_ramp = false;
  // Laplace smoothing of the cluster sizes.
  double eps = 1e-5;
};

class VisualDictionaryImpl : public torch::nn::Module {
 public:
  // `collective` combines statistics across ranks; null means a single process.
  explicit VisualDictionaryImpl(const VisualDictionaryOptions& options,
                                std::shared_ptr<Collective> collective = nullptr);

  struct Output {
    // embed[index] in value, the input's gradient in backward (straight-through), [M, C].
    at::Tensor quantized;
    // Nearest entry per row, int64 [M].
    at::Tensor indices;
  };
  // features [M, C]. In training mode, also updates the dictionary (with this step's
  // assignments) before looking up the quantized values, as the reference does.
  Output forward(const at::Tensor& features);

  // The trainer calls this every iteration; it moves the decay only with decay_ramp.
  void SetIteration(int64_t iteration);
  double current_decay() const { return current_decay_; }
  void set_collective(std::shared_ptr<Collective> collective);
  const VisualDictionaryOptions& options() const { return options_; }

  at::Tensor embed, cluster_size, cluster_sum, embed_avg;

 private:
  void Update(const at::Tensor& features, const at::Tensor& indices);

  VisualDictionaryOptions options_;
  std::shared_ptr<Collective> collective_;
  double current_decay_;
};
TORCH_MODULE(VisualDictionary);

}  // namespace soho::model
