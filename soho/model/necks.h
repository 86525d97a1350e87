#pragma once
// Necks: turn the backbone's C5 map into visual tokens for the cross-modal transformer.
//
//   PretrainNeck ("SimpleVDforPreGate" / "SimpleVDforPre"): 2x2 max-pool, 1x1 conv + BN,
//     Visual Dictionary, pos_line, then either the gate (softmax over two 1x1-conv+BN scores
//     mixing dictionary and raw features) or a plain sum, masked visual modelling, 2-D sine
//     position encoding, LayerNorm.
//   VqaNeck ("SimpleVDforVQA"): max-pool, conv + BN, position encoding, LayerNorm.
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "soho/common/collective.h"
#include "soho/model/conv_module.h"
#include "soho/model/visual_dictionary.h"
#include "soho/proto/config.pb.h"

namespace soho::model {

struct NeckOptions {
  int64_t in_channels = 512;
  int64_t out_channels = 768;
  // Pre-training necks only.
  bool with_gate = true;
  VisualDictionaryOptions dictionary;
  double mask_prob = 0.015;
  double layer_norm_eps = 1e-5;

  // in_channels comes from the backbone; kind VQA ignores the pre-training fields.
  static NeckOptions FromProto(const proto::NeckConfig& config, int64_t in_channels);
};

// Geometry of the padded image batch the feature map came from.
struct ImageGeometry {
  at::Tensor valid_hw;  // [B, 2] int64: each image's height, width before padding
  int64_t padded_h = 0;
  int64_t padded_w = 0;
};

struct VisualTokens {
  at::Tensor tokens;      // [N, h*w, C], row-major over the grid
  at::Tensor mask;        // [N, h*w] int64: 1 inside the image, 0 in the padding
  at::Tensor mvm_labels;  // [N, h*w] int64: dictionary index at masked cells, -100 elsewhere
};

// Masked visual modelling selection (pure, for testing): cells of sample n are masked when
// they are valid, carry the same dictionary index as the sample's cell `position`
// (row-major), and sample_selected[n] is true. labels/valid [N, h, w]; sample_selected [N].
at::Tensor SelectMaskedCells(const at::Tensor& labels, const at::Tensor& valid, int64_t position,
                             const at::Tensor& sample_selected);

class PretrainNeckImpl : public torch::nn::Module {
 public:
  PretrainNeckImpl(const NeckOptions& options, std::shared_ptr<Collective> collective = nullptr);

  // c5 [B, C_in, H/32, W/32]. Each image's features are repeated `group` times (its
  // captions), before the dictionary sees them, as the reference does. In training mode the
  // dictionary is updated and cells are masked for MVM; in eval mode neither happens (labels
  // are all -100) so evaluation is deterministic.
  VisualTokens forward(const at::Tensor& c5, const ImageGeometry& geometry, int64_t group = 1);

  // Decay ramp of the dictionary's moving averages.
  void SetIteration(int64_t iteration) { vq->SetIteration(iteration); }
  // SyncBatchNorm seam: how every BatchNorm of the neck is applied (see ConvModule).
  void SetBatchNormFn(const BatchNormFn& fn);

  ConvModule conv{nullptr};
  VisualDictionary vq{nullptr};
  torch::nn::Linear pos_line{nullptr};
  ConvModule gate_fc{nullptr};  // null without the gate
  torch::nn::Embedding mask_emb{nullptr};
  torch::nn::LayerNorm ln{nullptr};

 private:
  NeckOptions options_;
};
TORCH_MODULE(PretrainNeck);

class VqaNeckImpl : public torch::nn::Module {
 public:
  explicit VqaNeckImpl(const NeckOptions& options);
  // As PretrainNeck, without dictionary and masking; mvm_labels is left undefined.
  VisualTokens forward(const at::Tensor& c5, const ImageGeometry& geometry, int64_t group = 1);
  void SetBatchNormFn(const BatchNormFn& fn) { conv->SetBatchNormFn(fn); }

  ConvModule conv{nullptr};
  torch::nn::LayerNorm ln{nullptr};

 private:
  NeckOptions options_;
};
TORCH_MODULE(VqaNeck);

}  // namespace soho::model
