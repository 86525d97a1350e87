#pragma once
// Output heads on the fused sequence [N, T, H] of the cross-modal transformer.
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace soho::model {

// Image-text matching: Linear(H, 2, no bias) on the first ([CLS]) token. Kaiming-normal init.
class ItmHeadImpl : public torch::nn::Module {
 public:
  explicit ItmHeadImpl(int64_t hidden_size);
  at::Tensor forward(const at::Tensor& fused);  // [N, T, H] -> [N, 2]

  torch::nn::Linear match_class{nullptr};
};
TORCH_MODULE(ItmHead);

// VQA classifier on the first token: Linear(H, hidden) -> ReLU -> Dropout -> Linear(hidden,
// answers), registered as "vqa.0" and "vqa.3" like the reference's nn.Sequential.
// Kaiming-normal weights; biases keep nn.Linear's default uniform init (as the reference).
class VqaHeadImpl : public torch::nn::Module {
 public:
  VqaHeadImpl(int64_t hidden_size, int64_t mlp_hidden_size, int64_t num_answers, double dropout);
  at::Tensor forward(const at::Tensor& fused);  // [N, T, H] -> [N, num_answers]

  torch::nn::Sequential vqa{nullptr};
};
TORCH_MODULE(VqaHead);

// Masked language modelling logits with the word embeddings as the (tied, bias-free) output
// matrix: text_hidden [..., H] x word_embeddings [V, H]^T -> [..., V].
at::Tensor MlmLogits(const at::Tensor& text_hidden, const at::Tensor& word_embeddings);

// Masked visual modelling scores: cosine similarity between visual tokens [..., H] and the
// dictionary entries [K, H] (the dictionary gets no gradient from this) -> [..., K].
at::Tensor MvmScores(const at::Tensor& visual_hidden, const at::Tensor& dictionary);

}  // namespace soho::model
