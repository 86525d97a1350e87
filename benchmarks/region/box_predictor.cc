#include "benchmarks/region/box_predictor.h"

namespace soho::bench::region {

BoxPredictorImpl::BoxPredictorImpl(const BoxPredictorOptions& options)
    : cls_score(register_module("cls_score", torch::nn::Linear(options.in_features, options.num_classes))),
      bbox_pred(register_module("bbox_pred", torch::nn::Linear(options.in_features, options.num_classes * 4))),
      fc_attr(register_module("fc_attr", torch::nn::Linear(options.in_features + options.class_embedding_size,
                                                           options.attribute_hidden_size))),
      attr_score(register_module("attr_score",
                                 torch::nn::Linear(options.attribute_hidden_size, options.num_attributes))),
      cls_embedding(register_module("cls_embedding",
                                    torch::nn::Embedding(options.num_classes, options.class_embedding_size))) {}

BoxPredictions BoxPredictorImpl::forward(const at::Tensor& features) {
  BoxPredictions out;
  out.class_logits = cls_score->forward(features);
  out.box_deltas = bbox_pred->forward(features);
  // At test time the attribute branch is conditioned on the predicted class.
  const at::Tensor predicted = out.class_logits.argmax(1);
  const at::Tensor joint = at::cat({features, cls_embedding->forward(predicted)}, 1);
  out.attribute_logits = attr_score->forward(at::relu(fc_attr->forward(joint)));
  return out;
}

}  // namespace soho::bench::region
