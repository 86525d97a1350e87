#pragma once
// Second-stage outputs of bottom-up attention's Faster R-CNN (Anderson et al. 2018) on each
// pooled RoI feature [R, 2048]: object classes (1600 Visual Genome classes + background),
// class-specific box deltas, and attributes (400 + "no attribute") predicted from the
// feature concatenated with an embedding of the predicted class.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace soho::bench::region {

struct BoxPredictorOptions {
  int64_t in_features = 2048;
  // Including background (index 0).
  int64_t num_classes = 1601;
  // Including "no attribute" (index 0).
  int64_t num_attributes = 401;
  int64_t class_embedding_size = 256;
  int64_t attribute_hidden_size = 512;
};

struct BoxPredictions {
  at::Tensor class_logits;      // [R, num_classes]
  at::Tensor box_deltas;        // [R, num_classes * 4]
  at::Tensor attribute_logits;  // [R, num_attributes]
};

// Names follow the Caffe model's layers: cls_score, bbox_pred, cls_embedding, fc_attr,
// attr_score.
class BoxPredictorImpl : public torch::nn::Module {
 public:
  explicit BoxPredictorImpl(const BoxPredictorOptions& options);
  BoxPredictions forward(const at::Tensor& features);

  torch::nn::Linear cls_score{nullptr}, bbox_pred{nullptr}, fc_attr{nullptr}, attr_score{nullptr};
  torch::nn::Embedding cls_embedding{nullptr};
};
TORCH_MODULE(BoxPredictor);

}  // namespace soho::bench::region
