#include "soho/data/prepare/vqa_v2.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/data/annotations/json_file.h"

namespace soho::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;

constexpr char kTrainQuestions[] = "testdata/vqa/v2_OpenEnded_mscoco_train2014_questions.json";
constexpr char kTrainAnnotations[] = "testdata/vqa/v2_mscoco_train2014_annotations.json";
constexpr char kTestQuestions[] = "testdata/vqa/v2_OpenEnded_mscoco_test2015_questions.json";

json Read(const char* path) {
  auto root = ReadJsonFile(path);
  EXPECT_TRUE(root.ok()) << root.status();
  return root.value_or(json());
}

TEST(VqaV2Test, SoftScores) {
  EXPECT_EQ(VqaSoftScore(0), 0.0);
  EXPECT_EQ(VqaSoftScore(1), 0.3);
  EXPECT_EQ(VqaSoftScore(2), 0.6);
  EXPECT_EQ(VqaSoftScore(3), 0.9);
  EXPECT_EQ(VqaSoftScore(4), 1.0);
  EXPECT_EQ(VqaSoftScore(10), 1.0);
}

TEST(VqaV2Test, ImageFileNames) {
  EXPECT_EQ(VqaImageFileName("COCO_", "train2014", 9), "COCO_train2014_000000000009.jpg");
  EXPECT_EQ(VqaImageFileName("COCO_", "test2015", 123456789012), "COCO_test2015_123456789012.jpg");
}

TEST(VqaV2Test, TrainingSplitLabelsAndScores) {
  const json questions = Read(kTrainQuestions);
  const json annotations = Read(kTrainAnnotations);
  const AnswerVocab vocab =
      *AnswerVocab::FromList({"2", "3", "yes", "no", "t shirt", "shirt", "hat", "don't know", "blue"});
  ImageSizes sizes;
  sizes[9] = {480, 640};
  VqaV2Options options;
  options.image_sizes = &sizes;
  ConversionSummary summary("vqa");
  const auto images = ConvertVqaV2({&questions, kTrainQuestions, &annotations, kTrainAnnotations},
                                   vocab, options, &summary);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 3u);

  const VqaImage& dogs = (*images)[0];
  EXPECT_EQ(dogs.file_name, "COCO_train2014_000000000009.jpg");
  EXPECT_EQ(dogs.height, 480);
  EXPECT_EQ(dogs.width, 640);
  ASSERT_EQ(dogs.questions.size(), 2u);
  EXPECT_EQ(dogs.questions[0].question, "How many dogs are there?");
  EXPECT_EQ(dogs.questions[0].question_id, 9000);
  EXPECT_TRUE(dogs.questions[0].has_answers);
  // "2" x4 + "two" x3 + "Two." -> "2" by 8 annotators; "3" + "three" -> "3" by 2.
  EXPECT_THAT(dogs.questions[0].labels, ElementsAre(0, 1));
  EXPECT_THAT(dogs.questions[0].scores, ElementsAre(1.0, 0.6));
  EXPECT_THAT(dogs.questions[1].labels, ElementsAre(2, 3));  // yes x9, no x1
  EXPECT_THAT(dogs.questions[1].scores, ElementsAre(1.0, 0.3));

  const VqaImage& man = (*images)[1];
  EXPECT_EQ(man.height, 0);  // no size known
  // t-shirt/T-Shirt -> "t shirt" x5; "shirt" x2 + "a shirt" -> x3; "the hat" -> "hat";
  // "dont know" -> "don't know".
  EXPECT_THAT(man.questions[0].labels, ElementsAre(4, 5, 6, 7));
  EXPECT_THAT(man.questions[0].scores, ElementsAre(1.0, 0.9, 0.3, 0.3));
  EXPECT_THAT(man.questions[1].labels, ElementsAre(8));
  EXPECT_THAT(man.questions[1].scores, ElementsAre(1.0));

  const VqaImage& rain = (*images)[2];
  ASSERT_EQ(rain.questions.size(), 1u);
  EXPECT_THAT(rain.questions[0].labels, ElementsAre(2, 3));  // yes x2, no x7 + "No!"
  EXPECT_THAT(rain.questions[0].scores, ElementsAre(0.6, 1.0));

  EXPECT_EQ(summary.count("images"), 3);
  EXPECT_EQ(summary.count("questions"), 5);
  EXPECT_EQ(summary.count("images of unknown size"), 2);
  EXPECT_EQ(summary.skipped("malformed question entry"), 1);     // 31000 has no text
  EXPECT_EQ(summary.skipped("malformed annotation entry"), 1);   // 30002 has no answers
  EXPECT_EQ(summary.skipped("question without annotation"), 2);  // 30001, 30002
  EXPECT_EQ(summary.skipped("annotation of an unknown question"), 1);  // 99000
}

TEST(VqaV2Test, AnswerVocabularyCountsNormalizedMultipleChoiceAnswers) {
  const json annotations = Read(kTrainAnnotations);
  ConversionSummary summary("vocab");
  AnswerVocabBuilder all(/*min_count=*/1);
  ASSERT_TRUE(all.Add(annotations, kTrainAnnotations, &summary).ok());
  // "yes" twice (9001, 30002); the rest once, in text order; "t-shirt" normalized.
  EXPECT_THAT(all.Build().label2ans, ElementsAre("yes", "2", "blue", "cat", "no", "t shirt"));
  AnswerVocabBuilder frequent(/*min_count=*/2);
  ASSERT_TRUE(frequent.Add(annotations, kTrainAnnotations, &summary).ok());
  EXPECT_THAT(frequent.Build().label2ans, ElementsAre("yes"));
}

TEST(VqaV2Test, DefaultMinimumCountOfNine) {
  json annotations = {{"annotations", json::array()}};
  for (int i = 0; i < 9; ++i) annotations["annotations"].push_back({{"multiple_choice_answer", "Yes"}});
  for (int i = 0; i < 8; ++i) annotations["annotations"].push_back({{"multiple_choice_answer", "no"}});
  ConversionSummary summary("vocab");
  AnswerVocabBuilder builder(9);
  ASSERT_TRUE(builder.Add(annotations, "a.json", &summary).ok());
  EXPECT_THAT(builder.Build().label2ans, ElementsAre("yes"));
}

TEST(VqaV2Test, TestSplitKeepsQuestionIdsWithoutLabels) {
  const json questions = Read(kTestQuestions);
  const AnswerVocab vocab = *AnswerVocab::FromList({"yes", "no"});
  ConversionSummary summary("vqa");
  const auto images = ConvertVqaV2({&questions, kTestQuestions, nullptr, ""}, vocab, {}, &summary);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].file_name, "COCO_test2015_000000000001.jpg");
  ASSERT_EQ((*images)[0].questions.size(), 2u);
  EXPECT_EQ((*images)[0].questions[0].question_id, 1000);
  EXPECT_EQ((*images)[0].questions[1].question_id, 1001);
  EXPECT_FALSE((*images)[0].questions[0].has_answers);
  EXPECT_TRUE((*images)[0].questions[0].labels.empty());
  EXPECT_EQ((*images)[1].questions[0].question_id, 3000);
  EXPECT_EQ(summary.total_skipped(), 0);
}

TEST(VqaV2Test, WrongLayoutNamesFileAndField) {
  const json no_subtype = {{"questions", json::array()}};
  ConversionSummary summary("vqa");
  const auto result = ConvertVqaV2({&no_subtype, "q.json", nullptr, ""}, {}, {}, &summary);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("q.json: missing field 'data_subtype'"));
  const json questions = Read(kTestQuestions);
  const json not_annotations = json::array();
  const auto bad = ConvertVqaV2({&questions, kTestQuestions, &not_annotations, "a.json"}, {}, {}, &summary);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("a.json: expected a JSON object"));
}

}  // namespace
}  // namespace soho::data
