#pragma once
// BERT building blocks with Hugging Face / reference names (embeddings.word_embeddings,
// encoder.layer.N.attention.self.query, ...), post-LayerNorm, GELU (erf), dropout.
//
// BertEncoder is usable on its own: it takes hidden states [B, T, H] and a 0/1 token mask
// [B, T] (1 = attend), so non-SOHO models (e.g. a region-feature baseline) can reuse it.
// VisualLanguageBert is SOHO's cross-modal transformer: text embeddings followed by the
// visual tokens, one encoder over both.
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "soho/proto/config.pb.h"

namespace soho::model {

// Row of the word embeddings that receives no gradient: [PAD]'s id in BERT vocabularies
// (Hugging Face's, and those WordpieceTrainer writes, which list [PAD] first).
inline constexpr int64_t kPadTokenId = 0;

struct BertOptions {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_layers = 3;
  int64_t num_heads = 12;
  int64_t intermediate_size = 3072;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double hidden_dropout = 0.1;
  double attention_dropout = 0.1;
  double layer_norm_eps = 1e-12;
  // Recompute each layer in backward instead of keeping its activations.
  bool activation_checkpointing = false;

  static BertOptions FromProto(const proto::TransformerConfig& config);
};

// Turns a 0/1 token mask [B, T] into the additive attention bias [B, 1, 1, T]:
// 0 where attended, -10000 where masked (the reference's value), in `dtype`.
at::Tensor AdditiveAttentionMask(const at::Tensor& token_mask, c10::ScalarType dtype);

class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertOptions& options);
  // input_ids [B, L] int64 -> [B, L, H]; token type 0 and positions 0..L-1.
  at::Tensor forward(const at::Tensor& input_ids);

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertEmbeddings);

class BertSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit BertSelfAttentionImpl(const BertOptions& options);
  // hidden [B, T, H], additive_mask broadcastable to [B, heads, T, T].
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& additive_mask);

  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  int64_t num_heads_;
  int64_t head_size_;
};
TORCH_MODULE(BertSelfAttention);

// dense -> dropout -> LayerNorm(x + residual): BertSelfOutput and BertOutput.
class BertResidualOutputImpl : public torch::nn::Module {
 public:
  BertResidualOutputImpl(int64_t in_features, const BertOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual);

  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertResidualOutput);

class BertAttentionImpl : public torch::nn::Module {
 public:
  explicit BertAttentionImpl(const BertOptions& options);
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& additive_mask);

  BertSelfAttention self{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

class BertIntermediateImpl : public torch::nn::Module {
 public:
  explicit BertIntermediateImpl(const BertOptions& options);
  at::Tensor forward(const at::Tensor& x);  // GELU(dense(x))

  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertOptions& options);
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& additive_mask);

  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

class BertEncoderImpl : public torch::nn::Module {
 public:
  explicit BertEncoderImpl(const BertOptions& options);
  // hidden [B, T, H]; token_mask [B, T] with 1 for tokens to attend to (any numeric dtype).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& token_mask);
  // Same, with the additive mask already built (see AdditiveAttentionMask).
  at::Tensor ForwardWithAdditiveMask(at::Tensor hidden, const at::Tensor& additive_mask);

  void set_activation_checkpointing(bool on) { activation_checkpointing_ = on; }

  torch::nn::ModuleList layer{nullptr};

 private:
  bool activation_checkpointing_;
};
TORCH_MODULE(BertEncoder);

class BertModelImpl : public torch::nn::Module {
 public:
  explicit BertModelImpl(const BertOptions& options);

  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
};
TORCH_MODULE(BertModel);

// SOHO's cross-modal transformer ("VLBert", registered as "language" with a "bert" child):
// text tokens get BERT embeddings, visual tokens (already position-encoded and normalized by
// the neck) are appended as they are, and one encoder attends over [text ; visual].
class VisualLanguageBertImpl : public torch::nn::Module {
 public:
  explicit VisualLanguageBertImpl(const BertOptions& options);

  // input_ids, text_mask [N, L]; visual_tokens [N, V, H]; visual_mask [N, V].
  // Returns the fused sequence [N, L + V, H].
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& text_mask,
                     const at::Tensor& visual_tokens, const at::Tensor& visual_mask);

  // The word embedding matrix [vocab, H] (the MLM head's tied weight).
  const at::Tensor& word_embedding_weight() const { return bert->embeddings->word_embeddings->weight; }
  const BertOptions& options() const { return options_; }

  BertModel bert{nullptr};

 private:
  BertOptions options_;
};
TORCH_MODULE(VisualLanguageBert);

// The reference's BERT initialization for every Linear / Embedding / LayerNorm under `module`:
// weights normal(0, 0.02) (Embedding rows including the padding row), biases 0,
// LayerNorm weight 1 and bias 0.
void InitBertWeights(torch::nn::Module& module);

}  // namespace soho::model
