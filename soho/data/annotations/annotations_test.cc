#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/common/temp_path.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/annotations/vqa_annotation.h"

namespace soho::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using soho::testing::TempPath;

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = TempPath(name);
  EXPECT_TRUE(WriteFileAtomically(path, contents).ok());
  return path;
}

TEST(JsonFileTest, MalformedJsonNamesFileLineAndColumn) {
  // The stray '}' is on line 3, column 11: 0-based byte offset 24 (2 + 12 + 10).
  const std::string path = WriteTemp("bad.json", "[\n  {\"a\": 1},\n  {\"b\": 2}}\n]");
  const auto parsed = ReadJsonFile(path);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr(path + ":3:11 (byte 24): malformed JSON"));
}

TEST(JsonFileTest, TruncatedJsonReportsEndOfInput) {
  const std::string path = WriteTemp("truncated.json", "{\"data\": [1, 2");
  const auto parsed = ReadJsonFile(path);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(path + ":1:"));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("malformed JSON"));
}

TEST(JsonFileTest, MissingFileIsNotFound) {
  const auto parsed = ReadJsonFile(TempPath("does_not_exist.json"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("does_not_exist.json"));
}

TEST(PretrainAnnotationTest, RoundTrip) {
  std::vector<PretrainImage> images(2);
  images[0] = {"a.jpg", 7, 480, 640, {"a cat", "a sleepy cat"}, {1, 2}};
  images[1] = {"b/c.jpg", 9000000000LL, 10, 20, {"caf\xc3\xa9"}, {}};
  const std::string path = TempPath("pretrain_roundtrip.json");
  ASSERT_TRUE(WritePretrainAnnotations(path, images).ok());
  const auto read = ReadPretrainAnnotations(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->images.size(), 2u);
  EXPECT_EQ(read->entries.seen, 2);
  EXPECT_EQ(read->entries.skipped, 0);
  EXPECT_EQ(read->images[0].file_name, "a.jpg");
  EXPECT_EQ(read->images[0].image_id, 7);
  EXPECT_EQ(read->images[0].height, 480);
  EXPECT_EQ(read->images[0].width, 640);
  EXPECT_THAT(read->images[0].captions, ElementsAre("a cat", "a sleepy cat"));
  EXPECT_THAT(read->images[0].labels, ElementsAre(1, 2));
  EXPECT_EQ(read->images[1].image_id, 9000000000LL);
  EXPECT_THAT(read->images[1].captions, ElementsAre("caf\xc3\xa9"));
}

TEST(PretrainAnnotationTest, MalformedEntriesAreSkippedAndCounted) {
  const std::string path = WriteTemp("pretrain_bad_entries.json", R"([
    {"file_name": "ok.jpg", "image_id": 1, "height": 2, "width": 3, "captions": ["x"]},
    {"file_name": "no_id.jpg", "height": 2, "width": 3, "captions": ["x"]},
    {"file_name": "str_h.jpg", "image_id": 3, "height": "2", "width": 3, "captions": ["x"]},
    {"file_name": "bad_caption.jpg", "image_id": 4, "height": 2, "width": 3, "captions": [5]},
    {"file_name": "no_caption.jpg", "image_id": 5, "height": 2, "width": 3, "captions": []},
    {"file_name": "neg.jpg", "image_id": 6, "height": -2, "width": 3, "captions": ["x"]},
    42,
    {"file_name": "labels.jpg", "image_id": 8, "height": 2, "width": 3, "captions": ["y"], "labels": [4]}
  ])");
  const auto read = ReadPretrainAnnotations(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->entries.seen, 8);
  EXPECT_EQ(read->entries.skipped, 6);
  EXPECT_EQ(read->entries.kept(), 2);
  EXPECT_DOUBLE_EQ(read->entries.skipped_fraction(), 0.75);
  ASSERT_EQ(read->images.size(), 2u);
  EXPECT_EQ(read->images[0].file_name, "ok.jpg");
  EXPECT_TRUE(read->images[0].labels.empty());
  EXPECT_EQ(read->images[1].file_name, "labels.jpg");
  EXPECT_THAT(read->images[1].labels, ElementsAre(4));
}

TEST(PretrainAnnotationTest, NotAListIsAnError) {
  const std::string path = WriteTemp("pretrain_object.json", R"({"images": []})");
  const auto read = ReadPretrainAnnotations(path);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("expected a JSON list"));
}

AnswerVocab TestVocab() { return *AnswerVocab::FromList({"yes", "no", "2"}); }

TEST(VqaAnnotationTest, RoundTripWithTestQuestions) {
  std::vector<VqaImage> images(1);
  images[0].file_name = "COCO_val2014_000000000042.jpg";
  images[0].image_id = 42;
  images[0].height = 480;
  images[0].width = 640;
  VqaQuestion train_q{"is it red?", 420, {0, 1}, {1.0, 0.3}, true};
  VqaQuestion test_q{"how many?", 421, {}, {}, false};
  images[0].questions = {train_q, test_q};
  const std::string path = TempPath("vqa_roundtrip.json");
  ASSERT_TRUE(WriteVqaAnnotations(path, images, TestVocab()).ok());
  const auto read = ReadVqaAnnotations(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(read->answers.label2ans, ElementsAre("yes", "no", "2"));
  EXPECT_EQ(read->answers.ans2label.at("2"), 2);
  ASSERT_EQ(read->images.size(), 1u);
  const VqaImage& image = read->images[0];
  EXPECT_EQ(image.file_name, "COCO_val2014_000000000042.jpg");
  ASSERT_EQ(image.questions.size(), 2u);
  EXPECT_TRUE(image.questions[0].has_answers);
  EXPECT_THAT(image.questions[0].labels, ElementsAre(0, 1));
  EXPECT_THAT(image.questions[0].scores, ElementsAre(1.0, 0.3));
  EXPECT_FALSE(image.questions[1].has_answers);
  EXPECT_EQ(image.questions[1].question_id, 421);
  EXPECT_TRUE(image.questions[1].labels.empty());
  // The written file carries no "labels" for the test question.
  const auto raw = ReadJsonFile(path);
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE((*raw)["data"][0]["vqa"][1].contains("labels"));
  EXPECT_EQ((*raw)["ans2label"]["no"], 1);
}

TEST(VqaAnnotationTest, MalformedEntriesAndQuestionsAreSkippedAndCounted) {
  const std::string path = WriteTemp("vqa_bad_entries.json", R"({
    "label2ans": ["yes", "no"], "ans2label": {"yes": 0, "no": 1},
    "data": [
      {"file_name": "a.jpg", "image_id": 1, "height": 2, "width": 3, "vqa": [
        {"question": "q1", "question_id": 10, "labels": [0], "scores": [1.0]},
        {"question": "q2", "question_id": 11, "labels": [2], "scores": [1.0]},
        {"question": "q3", "question_id": 12, "labels": [0, 1], "scores": [1.0]},
        {"question_id": 13, "labels": [0], "scores": [1.0]},
        {"question": "q5", "question_id": 14, "labels": [1], "scores": [1.5]},
        {"question": "q6", "question_id": 15}
      ]},
      {"file_name": "b.jpg", "image_id": "2", "height": 2, "width": 3, "vqa": []},
      {"file_name": "c.jpg", "image_id": 3, "height": 2, "width": 3}
    ]})");
  const auto read = ReadVqaAnnotations(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->image_entries.seen, 3);
  EXPECT_EQ(read->image_entries.skipped, 2);
  EXPECT_EQ(read->question_entries.seen, 6);
  EXPECT_EQ(read->question_entries.skipped, 4);
  ASSERT_EQ(read->images.size(), 1u);
  ASSERT_EQ(read->images[0].questions.size(), 2u);
  EXPECT_EQ(read->images[0].questions[0].question_id, 10);
  EXPECT_EQ(read->images[0].questions[1].question_id, 15);
  EXPECT_FALSE(read->images[0].questions[1].has_answers);
}

TEST(VqaAnnotationTest, InconsistentAnswerVocabularyIsAnError) {
  const std::string path = WriteTemp("vqa_bad_vocab.json",
                                     R"({"label2ans": ["yes", "no"], "ans2label": {"yes": 1, "no": 0}, "data": []})");
  const auto read = ReadVqaAnnotations(path);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("disagrees"));

  const std::string dup = WriteTemp("vqa_dup_vocab.json", R"({"label2ans": ["yes", "yes"], "data": []})");
  const auto read_dup = ReadVqaAnnotations(dup);
  ASSERT_FALSE(read_dup.ok());
  EXPECT_THAT(std::string(read_dup.status().message()), HasSubstr("appears twice"));

  const std::string missing = WriteTemp("vqa_no_vocab.json", R"({"data": []})");
  const auto read_missing = ReadVqaAnnotations(missing);
  ASSERT_FALSE(read_missing.ok());
  EXPECT_THAT(std::string(read_missing.status().message()), HasSubstr("'label2ans'"));
}

}  // namespace
}  // namespace soho::data
