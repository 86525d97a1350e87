// Zero-shot retrieval scores are the model's ITM "match" probabilities, and the retrieval
// over a tiny synthetic world's val images runs end to end.
#include "soho/eval/itm_retrieval.h"

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/image/image_sources.h"
#include "soho/eval/test_world.h"

namespace soho::eval {
namespace {

using ::testing::HasSubstr;

class ItmRetrievalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto world = MakeTestWorld(TestTempDir("itm_retrieval_world"));
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *std::move(world);
    auto tokenizer = data::BertTokenizer::Create(world_.pretrain.data().vocab_file());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
    torch::manual_seed(8);
    model_ = model::SohoPretrainModel(world_.pretrain.model());
  }
  TestWorld world_;
  std::unique_ptr<data::BertTokenizer> tokenizer_;
  model::SohoPretrainModel model_{nullptr};
};

TEST_F(ItmRetrievalTest, ScoresAreTheMatchProbabilitiesOfTheFullForwardPass) {
  const proto::DataConfig& data = world_.pretrain.data();
  auto annotations = data::ReadPretrainAnnotations(data.val(0).annotation());
  ASSERT_TRUE(annotations.ok()) << annotations.status();
  auto sources = data::ImageSources::Open({data.val(0).image_root()}, data.image(), false);
  ASSERT_TRUE(sources.ok()) << sources.status();
  data::Rng rng(0);
  std::vector<cv::Mat> mats;
  for (int i = 0; i < 2; ++i) mats.push_back(*(*sources)->Load(0, annotations->images[i].file_name, &rng));
  const ImageBatch images = (*sources)->pipeline().Collate(mats);
  std::vector<data::Encoding> texts;
  for (const std::string& caption : annotations->images[0].captions) {
    texts.push_back(tokenizer_->Encode(caption, data.max_text_length()));
  }
  ASSERT_EQ(texts.size(), 5u);

  // 5 texts in passes of 3 and 2, for each of 2 images.
  model_->train();
  const std::vector<float> scores = ItmMatchScores(model_, images, texts, /*texts_per_pass=*/3);
  EXPECT_TRUE(model_->is_training());
  ASSERT_EQ(scores.size(), 10u);

  model_->eval();
  at::NoGradGuard no_grad;
  at::Tensor ids = at::empty({5, data.max_text_length()}, at::kLong), mask = at::empty_like(ids);
  for (int t = 0; t < 5; ++t) {
    for (int j = 0; j < data.max_text_length(); ++j) {
      ids[t][j] = texts[t].ids[j];
      mask[t][j] = texts[t].attention_mask[j];
    }
  }
  for (int i = 0; i < 2; ++i) {
    const ImageBatch one{images.images.narrow(0, i, 1), images.valid_hw.narrow(0, i, 1)};
    const at::Tensor expected = at::softmax(model_->forward(one, {ids, mask}).itm_logits, 1).select(1, 1);
    for (int t = 0; t < 5; ++t) EXPECT_NEAR(scores[i * 5 + t], expected[t].item<float>(), 1e-5) << i << "," << t;
  }
}

TEST_F(ItmRetrievalTest, RetrievalOverTheValImages) {
  ItmRetrievalOptions options;
  options.num_images = 2;  // of the 3 val images
  options.ks = {1, 2, 6};
  auto result = EvaluateItmRetrieval(model_, world_.pretrain.data(), *tokenizer_, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->recall.num_images, 2);
  EXPECT_EQ(result->recall.num_texts, 10);  // 5 captions each
  EXPECT_EQ(result->skipped_images, 0);
  // By construction: a text ranks its image among 2 within 2, and an image has 5 of the 10
  // texts, so one of them ranks within 6.
  EXPECT_EQ(result->recall.text_to_image[1], 100.0);
  EXPECT_EQ(result->recall.image_to_text[2], 100.0);
  for (double r : {result->recall.text_to_image[0], result->recall.image_to_text[0]}) {
    EXPECT_GE(r, 0.0);
    EXPECT_LE(r, 100.0);
  }

  options.num_images = 0;
  EXPECT_THAT(std::string(EvaluateItmRetrieval(model_, world_.pretrain.data(), *tokenizer_, options).status().message()),
              HasSubstr(">= 1 image"));
  proto::DataConfig no_val = world_.pretrain.data();
  no_val.clear_val();
  options.num_images = 2;
  EXPECT_THAT(std::string(EvaluateItmRetrieval(model_, no_val, *tokenizer_, options).status().message()),
              HasSubstr("data.val is empty"));
}

}  // namespace
}  // namespace soho::eval
