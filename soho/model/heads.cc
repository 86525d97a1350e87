#include "soho/model/heads.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>

namespace soho::model {
namespace {

namespace nn = torch::nn;

// torch.nn.init.kaiming_normal_ defaults: fan_in, leaky_relu with slope 0 (gain sqrt(2)).
void KaimingNormal(const at::Tensor& weight) {
  torch::NoGradGuard no_grad;
  nn::init::kaiming_normal_(weight, 0, torch::kFanIn, torch::kLeakyReLU);
}

// L2 normalization along the last dim as F.normalize (eps 1e-12).
at::Tensor Normalize(const at::Tensor& x) {
  return x / x.norm(2, {-1}, /*keepdim=*/true).clamp_min(1e-12);
}

}  // namespace

ItmHeadImpl::ItmHeadImpl(int64_t hidden_size)
    : match_class(register_module(
          "match_class", nn::Linear(nn::LinearOptions(hidden_size, 2).bias(false)))) {
  KaimingNormal(match_class->weight);
}

at::Tensor ItmHeadImpl::forward(const at::Tensor& fused) { return match_class(fused.select(1, 0)); }

VqaHeadImpl::VqaHeadImpl(int64_t hidden_size, int64_t mlp_hidden_size, int64_t num_answers,
                         double dropout) {
  nn::Linear fc1(hidden_size, mlp_hidden_size);
  nn::Linear fc2(mlp_hidden_size, num_answers);
  KaimingNormal(fc1->weight);
  KaimingNormal(fc2->weight);
  vqa = register_module("vqa", nn::Sequential(fc1, nn::ReLU(), nn::Dropout(dropout), fc2));
}

at::Tensor VqaHeadImpl::forward(const at::Tensor& fused) { return vqa->forward(fused.select(1, 0)); }

at::Tensor MlmLogits(const at::Tensor& text_hidden, const at::Tensor& word_embeddings) {
  return at::matmul(text_hidden, word_embeddings.t());
}

at::Tensor MvmScores(const at::Tensor& visual_hidden, const at::Tensor& dictionary) {
  return at::matmul(Normalize(visual_hidden), Normalize(dictionary.detach()).t());
}

}  // namespace soho::model
