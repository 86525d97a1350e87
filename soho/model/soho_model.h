#pragma once
// SOHO's two models composed from the parts by a soho::proto::ModelConfig:
//   SohoPretrainModel: backbone -> pre-training neck -> VL-BERT -> MLM / MVM / ITM.
//   SohoVqaModel:      backbone -> VQA neck -> VL-BERT -> VQA MLP.
// Registered names ("backbone", "neck", "language", "head") reproduce the reference's
// state_dict keys; the MLM output matrix is the word embedding itself (see TiedWeight).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "soho/common/collective.h"
#include "soho/common/image_batch.h"
#include "soho/model/bert.h"
#include "soho/model/heads.h"
#include "soho/model/necks.h"
#include "soho/model/resnet.h"
#include "soho/model/tied_weight.h"
#include "soho/proto/config.pb.h"

namespace soho::model {

// N text rows for B images: image i's rows are i*G .. i*G+G-1 with G = N / B (the
// pre-training sentence group, or the questions per image).
struct TextBatch {
  at::Tensor input_ids;       // [N, L] int64
  at::Tensor attention_mask;  // [N, L], 1 for real tokens
};

struct PretrainTargets {
  at::Tensor mlm_labels;  // [N, L] int64: original token at masked positions, -100 elsewhere
  at::Tensor itm_labels;  // [N] int64: 1 the caption matches its image, 0 it does not, -100 unscored
};

// Named scalar losses and metrics: "loss" (what to back-propagate) plus the parts.
using NamedTensors = std::map<std::string, at::Tensor>;

class SohoPretrainModelImpl : public torch::nn::Module {
 public:
  explicit SohoPretrainModelImpl(const proto::ModelConfig& config,
                                 std::shared_ptr<Collective> collective = nullptr);

  struct Outputs {
    at::Tensor mlm_logits;   // [N, L, vocab]
    at::Tensor mvm_scores;   // [N, h*w, dict_size]: cosine similarity to the dictionary
    at::Tensor itm_logits;   // [N, 2]
    at::Tensor mvm_labels;   // [N, h*w] from the neck's masking (all -100 in eval mode)
    at::Tensor visual_mask;  // [N, h*w]
  };
  Outputs forward(const ImageBatch& images, const TextBatch& text);

  // "loss" = weighted sum of "loss_mlm", "loss_mvm", "loss_itm"; metrics "acc_l", "acc_v",
  // "acc_match" (percent).
  NamedTensors Losses(const ImageBatch& images, const TextBatch& text,
                      const PretrainTargets& targets);

  // Drives the dictionary's decay ramp.
  void SetIteration(int64_t iteration) { neck->SetIteration(iteration); }
  static std::vector<TiedWeight> tied_weights();

  ResNet backbone{nullptr};
  PretrainNeck neck{nullptr};
  VisualLanguageBert language{nullptr};
  ItmHead head{nullptr};

 private:
  // forward(), with the vocabulary projection only at `mlm_rows` (indices into the flattened
  // [N*L] text positions; mlm_logits is then [rows, vocab]) when they are given.
  Outputs Run(const ImageBatch& images, const TextBatch& text, const at::Tensor& mlm_rows);

  proto::HeadConfig head_config_;
};
TORCH_MODULE(SohoPretrainModel);

class SohoVqaModel;  // TORCH_MODULE below

class SohoVqaModelImpl : public torch::nn::Module {
 public:
  explicit SohoVqaModelImpl(const proto::ModelConfig& config);

  // Answer logits [N, num_answers].
  at::Tensor forward(const ImageBatch& images, const TextBatch& text);

  // forward's three stages, for callers that time them (the speedtest):
  // forward(images, text) == Answer(text, EmbedFeatures(BackboneFeatures(images), images, N / B)).
  // The backbone's C5 features [B, C, h, w].
  at::Tensor BackboneFeatures(const ImageBatch& images);
  // The neck's visual tokens, each image's repeated for its `rows_per_image` text rows.
  VisualTokens EmbedFeatures(const at::Tensor& c5, const ImageBatch& images, int64_t rows_per_image);
  // The transformer over text and visual tokens, then the VQA head.
  at::Tensor Answer(const TextBatch& text, const VisualTokens& visual);
  // "loss" (BCE x num_answers) and "score" (mean soft score of the arg-max answers).
  // soft_targets [N, num_answers].
  NamedTensors Losses(const ImageBatch& images, const TextBatch& text,
                      const at::Tensor& soft_targets);
  static std::vector<TiedWeight> tied_weights() { return {}; }

  // An inference copy, in eval mode, on this model's device: the same weights with every
  // BatchNorm (backbone and neck) folded into its convolution, so its forward equals this
  // model's eval forward up to float rounding and runs no BatchNorm. Building the copy draws
  // from torch's generator (fresh initialization, then overwritten). Not for training or
  // saving: the folded state_dict differs from the reference's.
  SohoVqaModel FoldedForInference() const;

  ResNet backbone{nullptr};
  VqaNeck neck{nullptr};
  VisualLanguageBert language{nullptr};
  VqaHead head{nullptr};

 private:
  proto::ModelConfig config_;
};
TORCH_MODULE(SohoVqaModel);

}  // namespace soho::model
