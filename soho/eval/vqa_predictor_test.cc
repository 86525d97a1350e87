// VQA prediction over a split of a tiny synthetic world and on one image file, with a tiny
// random model saved and loaded back the way `eval` loads checkpoints.
#include "soho/eval/vqa_predictor.h"

#include <map>
#include <set>

#include <ATen/ATen.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/eval/checkpoint.h"
#include "soho/eval/test_world.h"
#include "soho/eval/vqa_official_files.h"
#include "soho/model/weights.h"

namespace soho::eval {
namespace {

using ::testing::HasSubstr;

class VqaPredictorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto world = MakeTestWorld(TestTempDir("vqa_predictor_world"));
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *std::move(world);
    auto tokenizer = data::BertTokenizer::Create(world_.vqa.data().vocab_file());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
    torch::manual_seed(11);
    model_ = model::SohoVqaModel(world_.vqa.model());
  }
  std::unique_ptr<data::VqaDataset> Dataset(data::Split split) {
    auto dataset = data::VqaDataset::Create(world_.vqa.data(), split, tokenizer_);
    EXPECT_TRUE(dataset.ok()) << dataset.status();
    return dataset.ok() ? std::move(*dataset) : nullptr;
  }

  TestWorld world_;
  std::shared_ptr<const data::BertTokenizer> tokenizer_;
  model::SohoVqaModel model_{nullptr};
};

TEST_F(VqaPredictorTest, EveryQuestionOnceWithTopKAndTheSoftScore) {
  const auto dataset = Dataset(data::Split::kVal);
  ASSERT_NE(dataset, nullptr);
  VqaPredictorOptions options = VqaPredictorOptions::FromConfig(world_.vqa.data());
  options.top_k = 3;
  model_->train();  // as the trainer leaves it
  auto out = PredictVqaSplit(model_, *dataset, options);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(model_->is_training());  // restored

  // One prediction per question of the file, in order, each with 3 answers by falling probability.
  const auto annotations = data::ReadVqaAnnotations(world_.dir + "/vqa_val.json");
  ASSERT_TRUE(annotations.ok());
  std::vector<const data::VqaQuestion*> questions;
  for (const auto& image : annotations->images) {
    for (const auto& q : image.questions) questions.push_back(&q);
  }
  ASSERT_EQ(out->predictions.size(), questions.size());
  EXPECT_EQ(out->skipped_questions, 0);
  double soft = 0;
  for (size_t i = 0; i < questions.size(); ++i) {
    const VqaPrediction& p = out->predictions[i];
    EXPECT_EQ(p.question_id, questions[i]->question_id);
    ASSERT_EQ(p.top.size(), 3u);
    for (size_t j = 0; j < p.top.size(); ++j) {
      EXPECT_GT(p.top[j].probability, 0.0);
      EXPECT_LT(p.top[j].probability, 1.0);
      EXPECT_EQ(p.top[j].answer, dataset->answers().label2ans[p.top[j].label]);
      if (j > 0) EXPECT_GE(p.top[j - 1].probability, p.top[j].probability);
    }
    // The soft score of the arg-max answer, from the converted annotation.
    for (size_t k = 0; k < questions[i]->labels.size(); ++k) {
      if (questions[i]->labels[k] == p.top[0].label) soft += questions[i]->scores[k];
    }
  }
  // The dataset's targets are float32 (0.3f, ...): agreement to float precision.
  EXPECT_NEAR(out->soft_score, 100.0 * soft / questions.size(), 1e-4);

  // Loader threads change nothing.
  options.num_workers = 2;
  auto threaded = PredictVqaSplit(model_, *dataset, options);
  ASSERT_TRUE(threaded.ok()) << threaded.status();
  ASSERT_EQ(threaded->predictions.size(), out->predictions.size());
  for (size_t i = 0; i < out->predictions.size(); ++i) {
    EXPECT_EQ(threaded->predictions[i].top[0].label, out->predictions[i].top[0].label);
    EXPECT_EQ(threaded->predictions[i].top[0].probability, out->predictions[i].top[0].probability);
  }
}

TEST_F(VqaPredictorTest, OfficialAccuracyOfTheConfigSplit) {
  const auto dataset = Dataset(data::Split::kVal);
  ASSERT_NE(dataset, nullptr);
  auto out = PredictVqaSplit(model_, *dataset, VqaPredictorOptions::FromConfig(world_.vqa.data()));
  ASSERT_TRUE(out.ok()) << out.status();
  auto ground_truth = ReadSplitGroundTruth(world_.vqa.data().val());
  ASSERT_TRUE(ground_truth.ok()) << ground_truth.status();
  ASSERT_TRUE(ground_truth->has_value());
  const std::vector<VqaResult> results = ToVqaResults(out->predictions);
  auto official = ScoreVqa(**ground_truth, results, VqaEvalRules::kRevised2021);
  ASSERT_TRUE(official.ok()) << official.status();
  EXPECT_EQ(official->num_questions, static_cast<int64_t>(out->predictions.size()));
  // Under the 2021 rules both sides are fully normalized whenever the ten answers differ, and
  // the synthetic world's unanimous answers are already normal: a predicted vocabulary
  // answer given by n annotators scores min(1, 0.3 n) either way, the converter's soft score.
  // So the official number is the soft score, up to its rounding to two decimals.
  EXPECT_NEAR(official->overall, out->soft_score, 0.005 + 1e-9);
  // The 2017 rules score the same predictions too (they differ from the soft score where
  // annotators wrote "two" or "the left", which 2017 does not normalize in the ground truth).
  EXPECT_TRUE(ScoreVqa(**ground_truth, results, VqaEvalRules::kRelease2017).ok());
  // The test split has no official files.
  auto none = ReadSplitGroundTruth(world_.vqa.data().test());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(VqaPredictorTest, BadOptionsAndSplits) {
  const auto val = Dataset(data::Split::kVal);
  ASSERT_NE(val, nullptr);
  VqaPredictorOptions options;
  options.top_k = 0;
  EXPECT_THAT(std::string(PredictVqaSplit(model_, *val, options).status().message()), HasSubstr("top_k"));
  options = VqaPredictorOptions();
  options.rank = 2;
  options.world_size = 2;
  EXPECT_THAT(std::string(PredictVqaSplit(model_, *val, options).status().message()), HasSubstr("rank 2"));
  const auto train = Dataset(data::Split::kTrain);
  ASSERT_NE(train, nullptr);
  EXPECT_THAT(std::string(PredictVqaSplit(model_, *train, VqaPredictorOptions()).status().message()),
              HasSubstr("training split"));
  // A model whose head does not have the dataset's answers.
  proto::ModelConfig other = world_.vqa.model();
  other.mutable_head()->set_num_answers(val->num_answers() + 1);
  model::SohoVqaModel wrong(other);
  EXPECT_THAT(std::string(PredictVqaSplit(wrong, *val, VqaPredictorOptions()).status().message()),
              HasSubstr("model.head.num_answers"));
}

TEST_F(VqaPredictorTest, SinglePredictionOnASavedTinyModel) {
  const std::string checkpoint = world_.dir + "/single_vqa.pth";
  ASSERT_TRUE(model::SaveStateDict(model::CollectStateDict(*model_), checkpoint).ok());
  model::SohoVqaModel loaded(world_.vqa.model());
  auto report = LoadCheckpointForEval(*loaded, checkpoint);
  ASSERT_TRUE(report.ok()) << report.status();

  cv::Mat photo(90, 120, CV_8UC3, cv::Scalar(30, 200, 60));
  cv::circle(photo, {60, 45}, 20, cv::Scalar(0, 0, 255), -1);
  const std::string image_path = world_.dir + "/photo.jpg";
  ASSERT_TRUE(cv::imwrite(image_path, photo));
  auto pipeline = data::ImagePipeline::Create(world_.vqa.data().image(), /*training=*/false);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  const auto answers = data::ReadVqaAnnotations(world_.dir + "/vqa_val.json");
  ASSERT_TRUE(answers.ok());
  const SingleQuestionInputs inputs{&*pipeline, tokenizer_.get(), &answers->answers,
                                    world_.vqa.data().max_text_length()};
  const std::string question = "what color is the circle?";
  auto prediction = PredictVqaSingle(loaded, inputs, image_path, question, 5);
  ASSERT_TRUE(prediction.ok()) << prediction.status();
  ASSERT_EQ(prediction->top.size(), std::min<size_t>(5, answers->answers.size()));

  // The same numbers as the saved model's own forward pass on the same inputs: the top 5
  // logits through a sigmoid.
  model_->eval();
  std::string bytes = *ReadFileToString(image_path);
  data::Rng rng(0);
  const ImageBatch batch = pipeline->Collate({*pipeline->Prepare(bytes, image_path, &rng)});
  const data::Encoding encoding = tokenizer_->Encode(question, inputs.max_text_length);
  const at::Tensor ids = at::tensor(std::vector<int64_t>(encoding.ids.begin(), encoding.ids.end())).view({1, -1});
  const at::Tensor mask =
      at::tensor(std::vector<int64_t>(encoding.attention_mask.begin(), encoding.attention_mask.end())).view({1, -1});
  at::NoGradGuard no_grad;
  const at::Tensor logits = model_->forward({batch.images, batch.valid_hw}, {ids, mask});
  const auto [values, labels] = at::topk(logits[0], static_cast<int64_t>(prediction->top.size()));
  for (size_t j = 0; j < prediction->top.size(); ++j) {
    EXPECT_EQ(prediction->top[j].label, labels[j].item<int64_t>());
    EXPECT_NEAR(prediction->top[j].probability, at::sigmoid(values[j]).item<double>(), 1e-6);
  }

  EXPECT_THAT(std::string(PredictVqaSingle(loaded, inputs, world_.dir + "/nope.jpg", question, 5).status().message()),
              HasSubstr("nope.jpg"));
  ASSERT_TRUE(WriteFileAtomically(world_.dir + "/broken.jpg", "not a jpeg").ok());
  EXPECT_THAT(std::string(PredictVqaSingle(loaded, inputs, world_.dir + "/broken.jpg", question, 5).status().message()),
              HasSubstr("broken.jpg"));
  EXPECT_THAT(std::string(PredictVqaSingle(loaded, inputs, image_path, "  ", 5).status().message()),
              HasSubstr("question is empty"));
}

}  // namespace
}  // namespace soho::eval
