// SohoPretrainModel / SohoVqaModel: reference keys, losses by hand, weight tying, frozen
// stages, eval determinism.
#include <cmath>
#include <map>
#include <set>
#include <string>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include "soho/losses/losses.h"
#include "soho/model/soho_model.h"
#include "soho/model/tiny_model_config.h"
#include "soho/model/weights.h"

namespace soho::model {
namespace {

// The shared tiny config, with a frozen stem, every sample MVM-masked and a weighted MLM loss.
proto::ModelConfig TinyConfig(proto::NeckConfig::Kind neck_kind) {
  proto::ModelConfig config = TinyModelConfig(neck_kind);
  config.mutable_backbone()->set_depth(18);
  config.mutable_backbone()->set_frozen_stages(1);
  config.mutable_neck()->set_mask_prob(1.0);
  config.mutable_head()->set_mlm_weight(0.5);
  return config;
}

// Two 128x192 padded images (grid 2x3), two captions each: N = 4 text rows of length 5.
ImageBatch Images() {
  return {at::randn({2, 3, 128, 192}), at::tensor({128, 192, 100, 120}, at::kLong).view({2, 2})};
}
TextBatch Text() {
  return {at::randint(1, 40, {4, 5}, at::kLong),
          at::tensor({1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, at::kLong).view({4, 5})};
}
PretrainTargets Targets() {
  at::Tensor mlm = at::full({4, 5}, losses::kIgnoreIndex, at::kLong);
  mlm[0][1] = 7;
  mlm[2][2] = 3;
  return {mlm, at::tensor({1, 0, 1, 1}, at::kLong)};
}

// CPU autocast to bfloat16 for its lifetime, as train::AutocastScope does for BF16 (the model
// does not depend on the trainer).
class CpuBf16Autocast {
 public:
  CpuBf16Autocast() {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  ~CpuBf16Autocast() {
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
};

// Largest difference relative to the float32 output's largest magnitude.
double RelativeDiff(const at::Tensor& actual, const at::Tensor& expected) {
  EXPECT_EQ(actual.sizes(), expected.sizes());
  return (actual.to(at::kFloat) - expected).abs().max().item<double>() /
         expected.abs().max().item<double>();
}

// bfloat16 keeps 8 bits of mantissa (relative rounding 2^-9 = 0.2%); through the ResNet, one
// transformer layer and the heads the tiny models' outputs differ from float32 by 0.3-0.7% of
// the largest float32 output (measured); the bound leaves about 3x of room.
constexpr double kBf16Tolerance = 0.02;

std::map<std::string, at::Tensor> AsMap(const StateDict& state) {
  return std::map<std::string, at::Tensor>(state.begin(), state.end());
}

TEST(SohoPretrainModelTest, StateDictHasTheReferenceKeys) {
  SohoPretrainModel model(TinyConfig(proto::NeckConfig::PRETRAIN_GATE));
  const auto state = AsMap(CollectStateDict(*model, model->tied_weights()));
  for (const char* key :
       {"backbone.conv1.weight", "backbone.bn1.num_batches_tracked",
        "backbone.layer4.1.bn2.running_var", "neck.conv.conv.weight", "neck.conv.bn.weight",
        "neck.conv.bn.num_batches_tracked", "neck.vq.embed", "neck.vq.cluster_size",
        "neck.vq.cluster_sum", "neck.vq.embed_avg", "neck.pos_line.weight", "neck.pos_line.bias",
        "neck.gate_fc.conv.weight", "neck.gate_fc.bn.running_mean", "neck.mask_emb.weight",
        "neck.ln.weight", "language.bert.embeddings.word_embeddings.weight",
        "language.bert.embeddings.LayerNorm.bias",
        "language.bert.encoder.layer.0.attention.self.key.weight",
        "language.bert.encoder.layer.0.output.LayerNorm.weight", "head.match_class.weight",
        "mask_l_fc.weight"}) {
    EXPECT_TRUE(state.count(key)) << key;
  }
  // The tied MLM matrix is the word embedding tensor itself.
  EXPECT_TRUE(state.at("mask_l_fc.weight").is_same(state.at("language.bert.embeddings.word_embeddings.weight")));
  // ... and is a parameter only once (an optimizer must not step it twice).
  int64_t word_embedding_params = 0;
  for (const auto& p : model->parameters()) {
    if (p.is_same(model->language->word_embedding_weight())) ++word_embedding_params;
  }
  EXPECT_EQ(word_embedding_params, 1);
}

TEST(SohoPretrainModelTest, LossesAreTheNormalizedPartsAndMlmIsTied) {
  torch::manual_seed(21);
  SohoPretrainModel model(TinyConfig(proto::NeckConfig::PRETRAIN_GATE));
  model->train();
  const ImageBatch images = Images();
  const TextBatch text = Text();
  const PretrainTargets targets = Targets();
  torch::manual_seed(22);
  const NamedTensors losses = model->Losses(images, text, targets);
  for (const char* key : {"loss", "loss_mlm", "loss_mvm", "loss_itm", "acc_l", "acc_v", "acc_match"}) {
    ASSERT_TRUE(losses.count(key)) << key;
    EXPECT_EQ(losses.at(key).dim(), 0) << key;
  }
  const double total = 0.5 * losses.at("loss_mlm").item<double>() +
                       losses.at("loss_mvm").item<double>() + losses.at("loss_itm").item<double>();
  EXPECT_NEAR(losses.at("loss").item<double>(), total, 1e-5);
  losses.at("loss").backward();

  // Frozen stem: no gradient. Tied MLM: word embedding rows of tokens that appear neither in
  // the input nor as labels (0 is never drawn by Text()) still get a gradient from the
  // output side.
  EXPECT_FALSE(model->backbone->conv1->weight.grad().defined());
  const at::Tensor word_grad = model->language->word_embedding_weight().grad();
  ASSERT_TRUE(word_grad.defined());
  EXPECT_GT(word_grad[0].abs().sum().item<double>(), 0);
  // Training mode updated the dictionary's moving averages: 4 rows x 6 cells assigned.
  EXPECT_EQ(model->neck->vq->cluster_sum.sum().item<double>(), 24);
  // mask_prob 1: every sample whose drawn cell is valid has MVM labels; image 0 has no
  // padding, so its two caption rows always do.
  EXPECT_GT(losses.at("loss_mvm").item<double>(), 0);
}

// Rows without a matching label (data.itm_row_prob's language rows) are left out of the ITM
// mean; a batch of only such rows gives an ITM loss of 0 and finite gradients, not 0/0.
TEST(SohoPretrainModelTest, ItmLossAveragesOnlyLabelledRows) {
  torch::manual_seed(21);
  SohoPretrainModel model(TinyConfig(proto::NeckConfig::PRETRAIN_GATE));
  model->eval();
  const ImageBatch images = Images();
  const TextBatch text = Text();
  PretrainTargets targets = Targets();
  const at::Tensor itm_logits = model->forward(images, text).itm_logits;
  targets.itm_labels = at::tensor({int64_t{1}, losses::kIgnoreIndex, losses::kIgnoreIndex, int64_t{0}}, at::kLong);
  const at::Tensor expected = at::cross_entropy_loss(itm_logits.index({at::tensor({0, 3}, at::kLong)}), at::tensor({1, 0}, at::kLong));
  EXPECT_NEAR(model->Losses(images, text, targets).at("loss_itm").item<double>(), expected.item<double>(), 1e-6);

  model->train();
  targets.itm_labels.fill_(losses::kIgnoreIndex);
  const NamedTensors losses = model->Losses(images, text, targets);
  EXPECT_EQ(losses.at("loss_itm").item<double>(), 0);
  EXPECT_EQ(losses.at("acc_match").item<double>(), 0);
  losses.at("loss").backward();
  for (const auto& p : model->parameters()) {
    if (p.grad().defined()) EXPECT_TRUE(p.grad().isfinite().all().item<bool>());
  }
}

TEST(SohoPretrainModelTest, MlmLogitsUseTheWordEmbeddingsAndEvalIsDeterministic) {
  torch::manual_seed(23);
  SohoPretrainModel model(TinyConfig(proto::NeckConfig::PRETRAIN));
  model->eval();
  const ImageBatch images = Images();
  const TextBatch text = Text();
  auto out = model->forward(images, text);
  auto again = model->forward(images, text);
  EXPECT_TRUE(out.mlm_logits.equal(again.mlm_logits));
  EXPECT_TRUE(out.itm_logits.equal(again.itm_logits));
  EXPECT_TRUE(out.mvm_labels.eq(-100).all().item<bool>());
  ASSERT_EQ(out.mlm_logits.sizes(), (at::IntArrayRef{4, 5, 40}));
  ASSERT_EQ(out.mvm_scores.sizes(), (at::IntArrayRef{4, 6, 8}));
  // Doubling the word embeddings changes the text embeddings through LayerNorm not at all
  // (scale invariance, up to its eps) but doubles the tied output matrix: logits double.
  {
    at::NoGradGuard no_grad;
    model->language->bert->embeddings->word_embeddings->weight.mul_(2);
    model->language->bert->embeddings->position_embeddings->weight.mul_(2);
    model->language->bert->embeddings->token_type_embeddings->weight.mul_(2);
  }
  auto doubled = model->forward(images, text);
  EXPECT_TRUE(at::allclose(doubled.mlm_logits, out.mlm_logits * 2, 1e-3, 1e-4));
  // Image 1 (100x120 of 128x192): grid cells read pixel rows (0, 64), columns (0, 64, 128),
  // so it covers both rows and columns 0, 1.
  EXPECT_TRUE(out.visual_mask[2].equal(at::tensor({1, 1, 0, 1, 1, 0}, at::kLong)));

  // Loss normalization by hand: MLM = (CE at the two labelled tokens) / (2 + 1e-6); no MVM
  // labels in eval mode, so loss_mvm = 0 and acc_v = 0.
  const PretrainTargets targets = Targets();
  const NamedTensors losses = model->Losses(images, text, targets);
  const at::Tensor log_probs = doubled.mlm_logits.log_softmax(-1);
  const double mlm = -(log_probs[0][1][7].item<double>() + log_probs[2][2][3].item<double>()) / (2 + 1e-6);
  EXPECT_NEAR(losses.at("loss_mlm").item<double>(), mlm, 1e-5);
  // Losses() projects only the masked positions onto the vocabulary: the same accuracy.
  EXPECT_EQ(losses.at("acc_l").item<double>(),
            losses::MaskedAccuracy(doubled.mlm_logits.flatten(0, 1), targets.mlm_labels.flatten())
                .item<double>());
  EXPECT_EQ(losses.at("loss_mvm").item<double>(), 0);
  EXPECT_EQ(losses.at("acc_v").item<double>(), 0);
}

TEST(SohoVqaModelTest, LogitsLossAndScore) {
  torch::manual_seed(24);
  SohoVqaModel model(TinyConfig(proto::NeckConfig::VQA));
  model->eval();
  const ImageBatch images = Images();
  const TextBatch text = Text();
  const at::Tensor logits = model->forward(images, text);
  ASSERT_EQ(logits.sizes(), (at::IntArrayRef{4, 6}));
  EXPECT_TRUE(logits.equal(model->forward(images, text)));
  at::Tensor targets = at::zeros({4, 6});
  targets.select(1, 2).fill_(0.6);
  const NamedTensors losses = model->Losses(images, text, targets);
  EXPECT_NEAR(losses.at("loss").item<double>(),
              losses::VqaBceLoss(logits, targets).item<double>(), 1e-6);
  const double expected_score =
      logits.argmax(1).eq(2).to(at::kFloat).mean().item<double>() * 0.6;
  EXPECT_NEAR(losses.at("score").item<double>(), expected_score, 1e-6);
  const auto state = AsMap(CollectStateDict(*model));
  EXPECT_TRUE(state.count("head.vqa.0.weight") && state.count("head.vqa.3.bias"));
  EXPECT_FALSE(state.count("neck.vq.embed"));
}

// The speedtest times these stages; they must add up to forward exactly.
TEST(SohoVqaModelTest, StagesComposeToForward) {
  torch::manual_seed(25);
  SohoVqaModel model(TinyConfig(proto::NeckConfig::VQA));
  model->eval();
  const ImageBatch images = Images();
  const TextBatch text = Text();  // 2 rows per image
  const at::Tensor c5 = model->BackboneFeatures(images);
  const VisualTokens visual = model->EmbedFeatures(c5, images, /*rows_per_image=*/2);
  EXPECT_EQ(visual.tokens.size(0), 4);
  EXPECT_TRUE(model->Answer(text, visual).equal(model->forward(images, text)));
}

TEST(SohoVqaModelTest, Bf16AutocastInferenceIsCloseToFloat32) {
  torch::manual_seed(25);
  SohoVqaModel model(TinyConfig(proto::NeckConfig::VQA));
  model->eval();
  const ImageBatch images = Images();
  const TextBatch text = Text();
  at::NoGradGuard no_grad;
  const at::Tensor expected = model->forward(images, text);
  at::Tensor actual;
  {
    CpuBf16Autocast bf16;
    actual = model->forward(images, text);
  }
  EXPECT_EQ(actual.scalar_type(), at::kBFloat16);  // the head's Linear ran in bf16
  EXPECT_LE(RelativeDiff(actual, expected), kBf16Tolerance);
}

TEST(SohoPretrainModelTest, Bf16AutocastInferenceIsCloseToFloat32) {
  torch::manual_seed(26);
  SohoPretrainModel model(TinyConfig(proto::NeckConfig::PRETRAIN_GATE));
  model->eval();
  const ImageBatch images = Images();
  const TextBatch text = Text();
  at::NoGradGuard no_grad;
  const SohoPretrainModelImpl::Outputs expected = model->forward(images, text);
  SohoPretrainModelImpl::Outputs actual;
  {
    CpuBf16Autocast bf16;
    actual = model->forward(images, text);
  }
  EXPECT_LE(RelativeDiff(actual.mlm_logits, expected.mlm_logits), kBf16Tolerance);
  EXPECT_LE(RelativeDiff(actual.itm_logits, expected.itm_logits), kBf16Tolerance);
  EXPECT_LE(RelativeDiff(actual.mvm_scores, expected.mvm_scores), kBf16Tolerance);
}

TEST(SohoVqaModelTest, FoldedCopyGivesTheSameLogits) {
  torch::manual_seed(27);
  SohoVqaModel model(TinyConfig(proto::NeckConfig::VQA));
  // Non-trivial BatchNorm statistics, as a trained model has.
  {
    at::NoGradGuard no_grad;
    for (auto& item : model->named_buffers()) {
      if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.1);
      if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 1.5);
    }
  }
  model->eval();
  SohoVqaModel folded = model->FoldedForInference();
  EXPECT_FALSE(folded->is_training());
  EXPECT_TRUE(folded->backbone->folded());
  const ImageBatch images = Images();
  const TextBatch text = Text();
  at::NoGradGuard no_grad;
  EXPECT_LE(RelativeDiff(folded->forward(images, text), model->forward(images, text)), 1e-5);
  // The source model is untouched.
  EXPECT_FALSE(model->backbone->folded());
  EXPECT_FALSE(model->backbone->conv1->bias.defined());
}

}  // namespace
}  // namespace soho::model
