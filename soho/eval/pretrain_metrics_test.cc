// MLM / MVM / ITM accuracy on a tiny synthetic world: counts, determinism, agreement with the
// model's own metrics, and no side effects on the model or the random generators.
#include "soho/eval/pretrain_metrics.h"

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/data/data_loader.h"
#include "soho/eval/test_world.h"

namespace soho::eval {
namespace {

class PretrainMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto world = MakeTestWorld(TestTempDir("pretrain_metrics_world"), /*eval_images=*/5);
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *std::move(world);
    auto tokenizer = data::BertTokenizer::Create(world_.pretrain.data().vocab_file());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
    auto dataset = data::PretrainDataset::Create(world_.pretrain.data(), data::Split::kVal, tokenizer_);
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    dataset_ = std::move(*dataset);
  }
  model::SohoPretrainModel Model(float mask_prob) {
    proto::ModelConfig config = world_.pretrain.model();
    config.mutable_neck()->set_mask_prob(mask_prob);
    torch::manual_seed(5);
    return model::SohoPretrainModel(config);
  }

  TestWorld world_;
  std::shared_ptr<const data::BertTokenizer> tokenizer_;
  std::unique_ptr<data::PretrainDataset> dataset_;
};

TEST_F(PretrainMetricsTest, CountsEveryMaskedTokenCellAndCaptionDeterministically) {
  model::SohoPretrainModel model = Model(/*mask_prob=*/1.0f);
  const at::Tensor embed = model->neck->vq->embed.clone();
  const at::Tensor cluster_size = model->neck->vq->cluster_size.clone();
  const at::Tensor running_mean = model->neck->conv->bn->running_mean.clone();
  model->train();

  PretrainEvalOptions options = PretrainEvalOptions::FromConfig(world_.pretrain.data(), /*seed=*/9);
  options.batch_size = 2;
  torch::manual_seed(123);
  auto metrics = EvaluatePretrainTasks(model, *dataset_, options);
  const at::Tensor after = at::rand({4});
  ASSERT_TRUE(metrics.ok()) << metrics.status();

  // Side effects: none. The training flag is back, the dictionary and BatchNorm statistics
  // did not move, and the global generator continues as if evaluation had not happened.
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(at::equal(model->neck->vq->embed, embed));
  EXPECT_TRUE(at::equal(model->neck->vq->cluster_size, cluster_size));
  EXPECT_TRUE(at::equal(model->neck->conv->bn->running_mean, running_mean));
  torch::manual_seed(123);
  EXPECT_TRUE(at::equal(at::rand({4}), after));

  // The counts: every caption for ITM, every masked token for MLM (the dataset's masking for
  // this seed, read back through the same loader), masked cells for MVM (mask_prob 1 masks
  // every sample's cells that share the chosen cell's entry: at least one per caption row).
  int64_t captions = 0, swapped = 0, masked_tokens = 0;
  data::DataLoader<data::PretrainDataset> loader(
      *dataset_, data::EvalBatches(dataset_->size(), options.batch_size, 0, 1), data::EpochSeed(9, 0, 0), {}, nullptr);
  while (true) {
    auto batch = loader.Next();
    ASSERT_TRUE(batch.ok());
    if (!batch->has_value()) break;
    captions += (*batch)->itm_labels.numel();
    swapped += (*batch)->itm_labels.eq(0).sum().item<int64_t>();
    masked_tokens += (*batch)->mlm_labels.ne(-100).sum().item<int64_t>();
  }
  EXPECT_EQ(metrics->itm_total, captions);
  EXPECT_EQ(metrics->mlm_total, masked_tokens);
  EXPECT_GT(masked_tokens, 0);
  EXPECT_GE(metrics->mvm_total, captions);
  EXPECT_EQ(metrics->samples, dataset_->size());
  EXPECT_LE(metrics->itm_correct, metrics->itm_total);
  EXPECT_DOUBLE_EQ(metrics->itm_accuracy(), 100.0 * metrics->itm_correct / metrics->itm_total);
  EXPECT_EQ(metrics->itm_swapped_total, swapped);
  EXPECT_GT(swapped, 0);
  EXPECT_LT(swapped, captions);
  EXPECT_LE(metrics->itm_swapped_correct, metrics->itm_correct);

  // Same seed: same numbers, with loader threads too. Another seed: other masks.
  options.num_workers = 2;
  auto again = EvaluatePretrainTasks(model, *dataset_, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->mlm_correct, metrics->mlm_correct);
  EXPECT_EQ(again->mvm_correct, metrics->mvm_correct);
  EXPECT_EQ(again->mvm_total, metrics->mvm_total);
  EXPECT_EQ(again->itm_correct, metrics->itm_correct);
  EXPECT_EQ(again->itm_swapped_correct, metrics->itm_swapped_correct);
  options.seed = 10;
  auto other = EvaluatePretrainTasks(model, *dataset_, options);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(other->mlm_total != metrics->mlm_total || other->mvm_total != metrics->mvm_total);
}

TEST_F(PretrainMetricsTest, WithoutVisualMaskingItAgreesWithTheModelsOwnMetrics) {
  // With neck.mask_prob 0 nothing is masked visually, so one batch holding the whole split
  // must give exactly the model's Losses() accuracies in eval mode.
  model::SohoPretrainModel model = Model(/*mask_prob=*/0.0f);
  PretrainEvalOptions options = PretrainEvalOptions::FromConfig(world_.pretrain.data(), /*seed=*/4);
  options.batch_size = static_cast<int>(dataset_->size());
  auto metrics = EvaluatePretrainTasks(model, *dataset_, options);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->mvm_total, 0);
  EXPECT_EQ(metrics->mvm_accuracy(), 0.0);

  data::DataLoader<data::PretrainDataset> loader(*dataset_, data::EvalBatches(dataset_->size(), options.batch_size, 0, 1),
                                                 data::EpochSeed(4, 0, 0), {}, nullptr);
  auto batch = loader.Next();
  ASSERT_TRUE(batch.ok() && batch->has_value());
  model->eval();
  at::NoGradGuard no_grad;
  const model::NamedTensors expected =
      model->Losses({(*batch)->image.images, (*batch)->image.valid_hw}, {(*batch)->input_ids, (*batch)->attention_mask},
                    {(*batch)->mlm_labels, (*batch)->itm_labels});
  EXPECT_NEAR(metrics->mlm_accuracy(), expected.at("acc_l").item<double>(), 1e-4);
  EXPECT_NEAR(metrics->itm_accuracy(), expected.at("acc_match").item<double>(), 1e-4);
}

TEST(PretrainTaskMetrics, BalancedItmAccuracyGivesAConstantAnswerFifty) {
  PretrainTaskMetrics always_match;  // 30 matched captions, 10 swapped: all called "match"
  always_match.itm_total = 40;
  always_match.itm_correct = 30;
  always_match.itm_swapped_total = 10;
  EXPECT_DOUBLE_EQ(always_match.itm_accuracy(), 75.0);
  EXPECT_DOUBLE_EQ(always_match.itm_balanced_accuracy(), 50.0);

  PretrainTaskMetrics some_right = always_match;  // 27 of 30 matched, 6 of 10 swapped
  some_right.itm_correct = 33;
  some_right.itm_swapped_correct = 6;
  EXPECT_DOUBLE_EQ(some_right.itm_balanced_accuracy(), (90.0 + 60.0) / 2);

  PretrainTaskMetrics no_swaps;  // data.itm_neg_prob 0: undefined, reported as 0
  no_swaps.itm_total = no_swaps.itm_correct = 8;
  EXPECT_DOUBLE_EQ(no_swaps.itm_balanced_accuracy(), 0.0);
}

TEST_F(PretrainMetricsTest, BadOptions) {
  model::SohoPretrainModel model = Model(0.0f);
  PretrainEvalOptions options;
  options.batch_size = 0;
  EXPECT_FALSE(EvaluatePretrainTasks(model, *dataset_, options).ok());
  options = PretrainEvalOptions();
  options.rank = 1;
  EXPECT_THAT(std::string(EvaluatePretrainTasks(model, *dataset_, options).status().message()),
              ::testing::HasSubstr("rank 1"));
}

}  // namespace
}  // namespace soho::eval
