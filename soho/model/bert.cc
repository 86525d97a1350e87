#include "soho/model/bert.h"

#include <cmath>
#include <cstdint>

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/nn/init.h>

namespace soho::model {
namespace {

namespace nn = torch::nn;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

nn::LayerNorm MakeLayerNorm(const BertOptions& options) {
  return nn::LayerNorm(
      nn::LayerNormOptions({options.hidden_size}).eps(options.layer_norm_eps));
}

// Activation checkpointing of one BertLayer: forward runs without building a graph; backward
// re-runs the layer with the same dropout random state and back-propagates through it.
// The layer's parameters are explicit inputs so that autograd routes their gradients.
class CheckpointedLayer : public torch::autograd::Function<CheckpointedLayer> {
 public:
  static variable_list forward(AutogradContext* ctx, BertLayerImpl* layer, const at::Tensor& hidden,
                               const at::Tensor& additive_mask, at::TensorList params) {
    ctx->saved_data["layer"] = reinterpret_cast<int64_t>(layer);
    at::Generator generator = at::globalContext().defaultGenerator(hidden.device());
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      ctx->saved_data["rng_state"] = generator.get_state();
    }
    ctx->save_for_backward({hidden, additive_mask});
    return {layer->forward(hidden, additive_mask)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto* layer = reinterpret_cast<BertLayerImpl*>(ctx->saved_data["layer"].toInt());
    const variable_list saved = ctx->get_saved_variables();
    at::Tensor hidden = saved[0].detach().requires_grad_(saved[0].requires_grad());
    const at::Tensor& additive_mask = saved[1];

    at::Generator generator = at::globalContext().defaultGenerator(hidden.device());
    at::Tensor current_state;
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      current_state = generator.get_state();
      generator.set_state(ctx->saved_data["rng_state"].toTensor());
    }
    variable_list inputs;
    if (hidden.requires_grad()) inputs.push_back(hidden);
    std::vector<at::Tensor> params = layer->parameters();
    for (const at::Tensor& p : params) {
      if (p.requires_grad()) inputs.push_back(p);
    }
    variable_list grads;
    {
      at::AutoGradMode enable_grad(true);
      at::Tensor out = layer->forward(hidden, additive_mask);
      grads = torch::autograd::grad({out}, inputs, {grad_outputs[0]}, /*retain_graph=*/false,
                                    /*create_graph=*/false, /*allow_unused=*/true);
    }
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(current_state);
    }
    // One entry per forward input: layer (none), hidden, mask (none), each parameter.
    variable_list result;
    size_t next = 0;
    result.emplace_back();
    result.push_back(hidden.requires_grad() ? grads[next++] : at::Tensor());
    result.emplace_back();
    for (const at::Tensor& p : params) {
      result.push_back(p.requires_grad() ? grads[next++] : at::Tensor());
    }
    return result;
  }
};

}  // namespace

BertOptions BertOptions::FromProto(const proto::TransformerConfig& config) {
  BertOptions options;
  options.vocab_size = config.vocab_size();
  options.hidden_size = config.hidden_size();
  options.num_layers = config.num_layers();
  options.num_heads = config.num_heads();
  options.intermediate_size = config.intermediate_size();
  options.max_position_embeddings = config.max_position_embeddings();
  options.type_vocab_size = config.type_vocab_size();
  options.hidden_dropout = config.hidden_dropout();
  options.attention_dropout = config.attention_dropout();
  options.layer_norm_eps = config.layer_norm_eps();
  options.activation_checkpointing = config.activation_checkpointing();
  return options;
}

at::Tensor AdditiveAttentionMask(const at::Tensor& token_mask, c10::ScalarType dtype) {
  TORCH_CHECK(token_mask.dim() == 2, "token mask must be [B, T], got ", token_mask.sizes());
  return ((1 - token_mask.to(dtype)) * -10000.0).unsqueeze(1).unsqueeze(2);
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertOptions& options)
    : word_embeddings(register_module(
          "word_embeddings",
          nn::Embedding(nn::EmbeddingOptions(options.vocab_size, options.hidden_size)
                            .padding_idx(kPadTokenId)))),
      position_embeddings(register_module(
          "position_embeddings",
          nn::Embedding(options.max_position_embeddings, options.hidden_size))),
      token_type_embeddings(register_module(
          "token_type_embeddings", nn::Embedding(options.type_vocab_size, options.hidden_size))),
      LayerNorm(register_module("LayerNorm", MakeLayerNorm(options))),
      dropout(register_module("dropout", nn::Dropout(options.hidden_dropout))) {}

at::Tensor BertEmbeddingsImpl::forward(const at::Tensor& input_ids) {
  const int64_t length = input_ids.size(1);
  TORCH_CHECK(length <= position_embeddings->weight.size(0), "text length ", length,
              " exceeds max_position_embeddings ", position_embeddings->weight.size(0));
  // Positions 0..L-1 and token type 0 are the same rows for every sample: slice, broadcast.
  at::Tensor embeddings = word_embeddings(input_ids) +
                          position_embeddings->weight.slice(0, 0, length) +
                          token_type_embeddings->weight[0];
  return dropout(LayerNorm(embeddings));
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertOptions& options)
    : query(register_module("query", nn::Linear(options.hidden_size, options.hidden_size))),
      key(register_module("key", nn::Linear(options.hidden_size, options.hidden_size))),
      value(register_module("value", nn::Linear(options.hidden_size, options.hidden_size))),
      dropout(register_module("dropout", nn::Dropout(options.attention_dropout))),
      num_heads_(options.num_heads),
      head_size_(options.hidden_size / options.num_heads) {
  TORCH_CHECK(options.hidden_size % options.num_heads == 0, "hidden size ", options.hidden_size,
              " is not a multiple of the number of heads ", options.num_heads);
}

at::Tensor BertSelfAttentionImpl::forward(const at::Tensor& hidden,
                                          const at::Tensor& additive_mask) {
  const int64_t batch = hidden.size(0), length = hidden.size(1);
  auto split_heads = [&](const at::Tensor& x) {  // [B, T, H] -> [B, heads, T, d]
    return x.view({batch, length, num_heads_, head_size_}).permute({0, 2, 1, 3});
  };
  // Scale q before the product: the same math as scaling the scores, on fewer elements.
  at::Tensor q = split_heads(query(hidden) * (1.0 / std::sqrt(static_cast<double>(head_size_))));
  at::Tensor k = split_heads(key(hidden));
  at::Tensor v = split_heads(value(hidden));
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) + additive_mask;
  at::Tensor probs = dropout(at::softmax(scores, -1));
  // [B, heads, T, d] -> [B, T, H]; reshape copies once (the heads are interleaved).
  return at::matmul(probs, v).permute({0, 2, 1, 3}).reshape({batch, length, -1});
}

BertResidualOutputImpl::BertResidualOutputImpl(int64_t in_features, const BertOptions& options)
    : dense(register_module("dense", nn::Linear(in_features, options.hidden_size))),
      LayerNorm(register_module("LayerNorm", MakeLayerNorm(options))),
      dropout(register_module("dropout", nn::Dropout(options.hidden_dropout))) {}

at::Tensor BertResidualOutputImpl::forward(const at::Tensor& x, const at::Tensor& residual) {
  return LayerNorm(dropout(dense(x)) + residual);
}

BertAttentionImpl::BertAttentionImpl(const BertOptions& options)
    : self(register_module("self", BertSelfAttention(options))),
      output(register_module("output", BertResidualOutput(options.hidden_size, options))) {}

at::Tensor BertAttentionImpl::forward(const at::Tensor& hidden, const at::Tensor& additive_mask) {
  return output(self(hidden, additive_mask), hidden);
}

BertIntermediateImpl::BertIntermediateImpl(const BertOptions& options)
    : dense(register_module("dense", nn::Linear(options.hidden_size, options.intermediate_size))) {}

at::Tensor BertIntermediateImpl::forward(const at::Tensor& x) { return at::gelu(dense(x)); }

BertLayerImpl::BertLayerImpl(const BertOptions& options)
    : attention(register_module("attention", BertAttention(options))),
      intermediate(register_module("intermediate", BertIntermediate(options))),
      output(register_module("output", BertResidualOutput(options.intermediate_size, options))) {}

at::Tensor BertLayerImpl::forward(const at::Tensor& hidden, const at::Tensor& additive_mask) {
  at::Tensor attended = attention(hidden, additive_mask);
  return output(intermediate(attended), attended);
}

BertEncoderImpl::BertEncoderImpl(const BertOptions& options)
    : layer(register_module("layer", nn::ModuleList())),
      activation_checkpointing_(options.activation_checkpointing) {
  for (int64_t i = 0; i < options.num_layers; ++i) layer->push_back(BertLayer(options));
}

at::Tensor BertEncoderImpl::forward(const at::Tensor& hidden, const at::Tensor& token_mask) {
  return ForwardWithAdditiveMask(hidden, AdditiveAttentionMask(token_mask, hidden.scalar_type()));
}

at::Tensor BertEncoderImpl::ForwardWithAdditiveMask(at::Tensor hidden,
                                                    const at::Tensor& additive_mask) {
  const bool checkpoint = activation_checkpointing_ && at::GradMode::is_enabled();
  for (const auto& module : *layer) {
    auto* bert_layer = module->as<BertLayer>();
    if (checkpoint) {
      // Passed as a TensorList (not a std::vector) so autograd treats them as inputs.
      const std::vector<at::Tensor> params = bert_layer->parameters();
      hidden = CheckpointedLayer::apply(bert_layer, hidden, additive_mask,
                                        at::TensorList(params))[0];
    } else {
      hidden = bert_layer->forward(hidden, additive_mask);
    }
  }
  return hidden;
}

BertModelImpl::BertModelImpl(const BertOptions& options)
    : embeddings(register_module("embeddings", BertEmbeddings(options))),
      encoder(register_module("encoder", BertEncoder(options))) {}

VisualLanguageBertImpl::VisualLanguageBertImpl(const BertOptions& options)
    : bert(register_module("bert", BertModel(options))), options_(options) {
  InitBertWeights(*this);
}

at::Tensor VisualLanguageBertImpl::forward(const at::Tensor& input_ids, const at::Tensor& text_mask,
                                           const at::Tensor& visual_tokens,
                                           const at::Tensor& visual_mask) {
  TORCH_CHECK(input_ids.size(0) == visual_tokens.size(0), "text rows (", input_ids.size(0),
              ") and visual rows (", visual_tokens.size(0), ") differ");
  at::Tensor text = bert->embeddings(input_ids);
  at::Tensor hidden = at::cat({text, visual_tokens.to(text.scalar_type())}, 1);
  at::Tensor mask = at::cat({text_mask.to(text.scalar_type()), visual_mask.to(text.scalar_type())}, 1);
  return bert->encoder(hidden, mask);
}

void InitBertWeights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<nn::Module*> all = {&module};
  for (auto& child : module.modules(/*include_self=*/false)) all.push_back(child.get());
  for (nn::Module* child : all) {
    if (auto* linear = child->as<nn::Linear>()) {
      nn::init::normal_(linear->weight, 0.0, 0.02);
      if (linear->bias.defined()) nn::init::zeros_(linear->bias);
    } else if (auto* embedding = child->as<nn::Embedding>()) {
      nn::init::normal_(embedding->weight, 0.0, 0.02);
    } else if (auto* norm = child->as<nn::LayerNorm>()) {
      nn::init::ones_(norm->weight);
      nn::init::zeros_(norm->bias);
    }
  }
}

}  // namespace soho::model
