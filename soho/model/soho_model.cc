#include "soho/model/soho_model.h"

#include <ATen/ATen.h>

#include "soho/losses/losses.h"

namespace soho::model {
namespace {

// Text rows per image (G): the neck repeats each image's tokens G times.
int64_t RowsPerImage(const ImageBatch& images, const TextBatch& text) {
  const int64_t num_images = images.images.size(0);
  const int64_t num_rows = text.input_ids.size(0);
  TORCH_CHECK(num_images > 0 && num_rows % num_images == 0, num_rows,
              " text rows do not divide evenly among ", num_images, " images");
  return num_rows / num_images;
}

ImageGeometry GeometryOf(const ImageBatch& images) {
  return {images.valid_hw, images.images.size(2), images.images.size(3)};
}

// Visual features and tokens of a batch: backbone C5 -> neck, repeated per text row.
template <typename Neck>
VisualTokens EncodeImages(ResNet& backbone, Neck& neck, const ImageBatch& images,
                          const TextBatch& text) {
  const at::Tensor c5 = backbone->forward(images.images).back();
  return neck->forward(c5, GeometryOf(images), RowsPerImage(images, text));
}

ResNetOptions BackboneOptions(const proto::ModelConfig& config) {
  return ResNetOptions::FromProto(config.backbone());
}

}  // namespace

SohoPretrainModelImpl::SohoPretrainModelImpl(const proto::ModelConfig& config,
                                             std::shared_ptr<Collective> collective)
    : head_config_(config.head()) {
  TORCH_CHECK(config.neck().kind() != proto::NeckConfig::VQA,
              "the pre-training model needs a PRETRAIN or PRETRAIN_GATE neck");
  TORCH_CHECK(config.neck().out_channels() == config.transformer().hidden_size(),
              "neck.out_channels must equal transformer.hidden_size");
  backbone = register_module("backbone", ResNet(BackboneOptions(config)));
  const int64_t c5_channels = backbone->stage_channels(backbone->options().out_stages.back());
  neck = register_module(
      "neck", PretrainNeck(NeckOptions::FromProto(config.neck(), c5_channels), std::move(collective)));
  language = register_module("language",
                             VisualLanguageBert(BertOptions::FromProto(config.transformer())));
  head = register_module("head", ItmHead(config.transformer().hidden_size()));
}

std::vector<TiedWeight> SohoPretrainModelImpl::tied_weights() {
  return {{"mask_l_fc.weight", "language.bert.embeddings.word_embeddings.weight"}};
}

SohoPretrainModelImpl::Outputs SohoPretrainModelImpl::forward(const ImageBatch& images,
                                                              const TextBatch& text) {
  return Run(images, text, at::Tensor());
}

SohoPretrainModelImpl::Outputs SohoPretrainModelImpl::Run(const ImageBatch& images,
                                                          const TextBatch& text,
                                                          const at::Tensor& mlm_rows) {
  VisualTokens visual = EncodeImages(backbone, neck, images, text);
  const at::Tensor fused =
      language->forward(text.input_ids, text.attention_mask, visual.tokens, visual.mask);
  const int64_t length = text.input_ids.size(1);
  const at::Tensor text_hidden = fused.narrow(1, 0, length);
  Outputs out;
  out.mlm_logits = MlmLogits(
      mlm_rows.defined() ? text_hidden.flatten(0, 1).index_select(0, mlm_rows) : text_hidden,
      language->word_embedding_weight());
  out.mvm_scores = MvmScores(fused.narrow(1, length, fused.size(1) - length), neck->vq->embed);
  out.itm_logits = head->forward(fused);
  out.mvm_labels = visual.mvm_labels;
  out.visual_mask = visual.mask;
  return out;
}

NamedTensors SohoPretrainModelImpl::Losses(const ImageBatch& images, const TextBatch& text,
                                           const PretrainTargets& targets) {
  // The vocabulary projection is a step's largest matmul at BERT's vocabulary (30522) and
  // only the masked positions (about 15%) need it. nonzero() waits for the device once.
  const at::Tensor all_labels = targets.mlm_labels.flatten();
  const at::Tensor mlm_rows = all_labels.ne(losses::kIgnoreIndex).nonzero().squeeze(1);
  const Outputs out = Run(images, text, mlm_rows);
  const at::Tensor& mlm_logits = out.mlm_logits;
  const at::Tensor mlm_labels = all_labels.index_select(0, mlm_rows);
  const at::Tensor mvm_scores = out.mvm_scores.flatten(0, 1);
  const at::Tensor mvm_labels = out.mvm_labels.flatten();
  NamedTensors result;
  result["loss_mlm"] = losses::MaskedCrossEntropy(mlm_logits, mlm_labels);
  result["loss_mvm"] = losses::MaskedCrossEntropy(mvm_scores, mvm_labels);
  result["loss_itm"] = losses::MeanCrossEntropy(out.itm_logits, targets.itm_labels);
  result["loss"] = result["loss_mlm"] * head_config_.mlm_weight() +
                   result["loss_mvm"] * head_config_.mvm_weight() +
                   result["loss_itm"] * head_config_.itm_weight();
  result["acc_l"] = losses::MaskedAccuracy(mlm_logits, mlm_labels);
  result["acc_v"] = losses::MaskedAccuracy(mvm_scores, mvm_labels);
  result["acc_match"] = losses::MaskedAccuracy(out.itm_logits, targets.itm_labels);
  return result;
}

SohoVqaModelImpl::SohoVqaModelImpl(const proto::ModelConfig& config) : config_(config) {
  TORCH_CHECK(config.neck().out_channels() == config.transformer().hidden_size(),
              "neck.out_channels must equal transformer.hidden_size");
  backbone = register_module("backbone", ResNet(BackboneOptions(config)));
  const int64_t c5_channels = backbone->stage_channels(backbone->options().out_stages.back());
  neck = register_module("neck", VqaNeck(NeckOptions::FromProto(config.neck(), c5_channels)));
  language = register_module("language",
                             VisualLanguageBert(BertOptions::FromProto(config.transformer())));
  head = register_module("head", VqaHead(config.transformer().hidden_size(),
                                         config.head().vqa_hidden_size(),
                                         config.head().num_answers(), config.head().vqa_dropout()));
}

at::Tensor SohoVqaModelImpl::forward(const ImageBatch& images, const TextBatch& text) {
  return Answer(text, EmbedFeatures(BackboneFeatures(images), images, RowsPerImage(images, text)));
}

at::Tensor SohoVqaModelImpl::BackboneFeatures(const ImageBatch& images) {
  return backbone->forward(images.images).back();
}

VisualTokens SohoVqaModelImpl::EmbedFeatures(const at::Tensor& c5, const ImageBatch& images,
                                             int64_t rows_per_image) {
  return neck->forward(c5, GeometryOf(images), rows_per_image);
}

at::Tensor SohoVqaModelImpl::Answer(const TextBatch& text, const VisualTokens& visual) {
  return head->forward(
      language->forward(text.input_ids, text.attention_mask, visual.tokens, visual.mask));
}

SohoVqaModel SohoVqaModelImpl::FoldedForInference() const {
  SohoVqaModel copy(config_);
  copy->to(parameters().front().device());
  {
    at::NoGradGuard no_grad;
    auto parameters = copy->named_parameters();
    auto buffers = copy->named_buffers();
    for (const auto& item : named_parameters()) parameters[item.key()].copy_(item.value());
    for (const auto& item : named_buffers()) buffers[item.key()].copy_(item.value());
  }
  copy->eval();
  copy->backbone->FoldBatchNorms();
  copy->neck->conv->FoldBatchNorm();
  return copy;
}

NamedTensors SohoVqaModelImpl::Losses(const ImageBatch& images, const TextBatch& text,
                                      const at::Tensor& soft_targets) {
  const at::Tensor logits = forward(images, text);
  return {{"loss", losses::VqaBceLoss(logits, soft_targets)},
          {"score", losses::VqaSoftScore(logits, soft_targets).mean()}};
}

}  // namespace soho::model
