// Official VQA files: strict reading with errors that name the file and the question id, and
// the submission / top-k files written in exactly the documented layouts.
#include "soho/eval/vqa_official_files.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "soho/common/file_util.h"
#include "soho/data/annotations/json_file.h"
#include "soho/eval/vqa_predictions.h"

namespace soho::eval {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  EXPECT_TRUE(WriteFileAtomically(path, text).ok());
  return path;
}

std::string ErrorOf(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  return std::string(status.message());
}

constexpr char kAnswers[] = R"("answers": [{"answer": "yes", "answer_confidence": "yes", "answer_id": 1}])";

std::string Annotation(int question_id, int image_id) {
  return "{\"question_id\": " + std::to_string(question_id) + ", \"image_id\": " + std::to_string(image_id) +
         ", \"question_type\": \"is the\", \"answer_type\": \"yes/no\", \"multiple_choice_answer\": \"yes\", " +
         kAnswers + "}";
}

TEST(VqaOfficialFilesTest, ReadsAnnotationsWithEveryField) {
  const std::string path = Write("a_ok.json", std::string("{\"annotations\": [") + Annotation(5, 50) + "]}");
  auto gt = ReadVqaAnnotationsFile(path);
  ASSERT_TRUE(gt.ok()) << gt.status();
  ASSERT_EQ(gt->size(), 1u);
  EXPECT_EQ((*gt)[0].question_id, 5);
  EXPECT_EQ((*gt)[0].image_id, 50);
  EXPECT_EQ((*gt)[0].question_type, "is the");
  EXPECT_EQ((*gt)[0].answer_type, "yes/no");
  ASSERT_EQ((*gt)[0].answers.size(), 1u);
  EXPECT_EQ((*gt)[0].answers[0].answer, "yes");
  // The other fields are kept for the script's dict comparison; "answer" is not among them.
  EXPECT_EQ((*gt)[0].answers[0].other_fields, (nlohmann::json{{"answer_confidence", "yes"}, {"answer_id", 1}}));
}

TEST(VqaOfficialFilesTest, AnnotationErrorsNameTheFileEntryAndQuestion) {
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(Write("a1.json", "{\"annotations\": [}")).status()),
              HasSubstr("a1.json:1:18"));  // malformed JSON: line and column
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(Write("a2.json", "[]")).status()),
              HasSubstr("a2.json: expected a JSON object, got array"));
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(Write("a3.json", "{\"questions\": []}")).status()),
              HasSubstr("a3.json: missing field 'annotations'"));
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(Write("a4.json", R"({"annotations": [{"image_id": 1}]})")).status()),
              HasSubstr("a4.json: annotations[0]: missing field 'question_id'"));
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(
                          Write("a5.json", R"({"annotations": [{"question_id": 9, "image_id": 1, "question_type": "x",
                                               "answer_type": 3, "multiple_choice_answer": "y", "answers": []}]})"))
                          .status()),
              HasSubstr("a5.json: annotations[0] (question_id 9): field 'answer_type': expected string, got integer"));
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(
                          Write("a6.json", R"({"annotations": [{"question_id": 9, "image_id": 1, "question_type": "x",
                                               "answer_type": "y", "multiple_choice_answer": "y", "answers": []}]})"))
                          .status()),
              HasSubstr("a6.json: annotations[0] (question_id 9): field 'answers' is empty"));
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(
                          Write("a7.json", R"({"annotations": [{"question_id": 9, "image_id": 1, "question_type": "x",
                                               "answer_type": "y", "multiple_choice_answer": "y",
                                               "answers": [{"answer": null}]}]})"))
                          .status()),
              HasSubstr("a7.json: annotations[0] (question_id 9): answers[0]: field 'answer': expected string, got null"));
  EXPECT_THAT(ErrorOf(ReadVqaAnnotationsFile(
                          Write("a8.json", "{\"annotations\": [" + Annotation(4, 1) + "," + Annotation(4, 2) + "]}"))
                          .status()),
              HasSubstr("a8.json: question_id 4 appears twice (annotations[0] and [1])"));
}

TEST(VqaOfficialFilesTest, QuestionErrors) {
  auto q = ReadVqaQuestionsFile(
      Write("q_ok.json", R"({"task_type": "Open-Ended", "questions": [{"question_id": 1, "image_id": 2, "question": "Why?"}]})"));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ((*q)[0].question, "Why?");
  EXPECT_THAT(ErrorOf(ReadVqaQuestionsFile(Write("q1.json", R"({"task_type": "Multiple Choice", "questions": []})")).status()),
              HasSubstr("q1.json: task_type \"Multiple Choice\": only the Open-Ended task is scored"));
  EXPECT_THAT(ErrorOf(ReadVqaQuestionsFile(Write("q2.json", R"({"questions": [{"question_id": 3, "image_id": 2}]})")).status()),
              HasSubstr("q2.json: questions[0] (question_id 3): missing field 'question'"));
}

TEST(VqaOfficialFilesTest, ResultErrors) {
  auto r = ReadVqaResultsFile(Write("r_ok.json", R"([{"question_id": 1, "answer": "yes", "extra": 1}])"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].answer, "yes");
  EXPECT_THAT(ErrorOf(ReadVqaResultsFile(Write("r1.json", R"({"results": []})")).status()),
              HasSubstr("r1.json: expected a JSON list, got object"));
  EXPECT_THAT(ErrorOf(ReadVqaResultsFile(Write("r2.json", R"([{"question_id": "1", "answer": "yes"}])")).status()),
              HasSubstr("r2.json: results[0]: field 'question_id': expected integer, got string"));
  EXPECT_THAT(ErrorOf(ReadVqaResultsFile(Write("r3.json", R"([{"question_id": 1, "answer": 2}])")).status()),
              HasSubstr("r3.json: results[0] (question_id 1): field 'answer': expected string, got integer"));
  EXPECT_THAT(ErrorOf(ReadVqaResultsFile(Write("r4.json", R"([{"question_id": 1, "answer": "a"},
                                                             {"question_id": 2, "answer": "b"},
                                                             {"question_id": 1, "answer": "c"}])"))
                          .status()),
              HasSubstr("r4.json: question_id 1 appears twice (results[0] and [2])"));
  EXPECT_THAT(ErrorOf(ReadVqaResultsFile("/nonexistent/r.json").status()), HasSubstr("/nonexistent/r.json"));
}

TEST(VqaOfficialFilesTest, MismatchedQuestionsAndAnnotations) {
  const std::string questions =
      Write("q_pair.json", R"({"questions": [{"question_id": 4, "image_id": 1, "question": "Is it?"}]})");
  EXPECT_TRUE(ReadVqaGroundTruth(questions, Write("a_pair_ok.json", "{\"annotations\": [" + Annotation(4, 1) + "]}")).ok());
  EXPECT_THAT(ErrorOf(ReadVqaGroundTruth(questions, Write("a_pair1.json", "{\"annotations\": [" + Annotation(5, 1) + "]}"))
                          .status()),
              HasSubstr("a_pair1.json: question_id 5 is not in "));
  EXPECT_THAT(ErrorOf(ReadVqaGroundTruth(questions, Write("a_pair2.json", "{\"annotations\": [" + Annotation(4, 2) + "]}"))
                          .status()),
              HasSubstr("a_pair2.json: question_id 4 has image_id 2 but "));
}

TEST(VqaSubmissionTest, ResultsFileIsExactlyTheOfficialLayout) {
  const std::vector<VqaPrediction> predictions = {
      {17, {{"yes", 0, 0.875}, {"no", 1, 0.25}}},
      {3, {{"2", 4, 0.5}}},
  };
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string results_path = std::string(dir ? dir : "/tmp") + "/out/vqa_results.json";
  ASSERT_TRUE(WriteVqaResultsFile(results_path, ToVqaResults(predictions)).ok());
  auto raw = data::ReadJsonFile(results_path);
  ASSERT_TRUE(raw.ok()) << raw.status();
  // A list of {"question_id": int, "answer": str}, nothing else, in the predictions' order.
  EXPECT_EQ(*raw, nlohmann::json::parse(R"([{"question_id": 17, "answer": "yes"}, {"question_id": 3, "answer": "2"}])"));
  EXPECT_TRUE((*raw)[0]["question_id"].is_number_integer());
  auto back = ReadVqaResultsFile(results_path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)[1].question_id, 3);

  const std::string topk_path = std::string(dir ? dir : "/tmp") + "/out/vqa_results_topk.json";
  ASSERT_TRUE(WriteVqaTopKFile(topk_path, predictions).ok());
  auto topk = data::ReadJsonFile(topk_path);
  ASSERT_TRUE(topk.ok()) << topk.status();
  EXPECT_EQ(*topk, nlohmann::json::parse(R"([
      {"question_id": 17, "answers": [{"answer": "yes", "probability": 0.875}, {"answer": "no", "probability": 0.25}]},
      {"question_id": 3, "answers": [{"answer": "2", "probability": 0.5}]}])"));
}

}  // namespace
}  // namespace soho::eval
