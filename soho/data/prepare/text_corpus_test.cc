#include "soho/data/prepare/text_corpus.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"

namespace soho::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  EXPECT_TRUE(WriteFileAtomically(path, contents).ok());
  return path;
}

TEST(TextCorpusTest, RecognizesEachLayout) {
  EXPECT_THAT(*ReadCorpusTexts(WriteTemp("lines.txt", "a red circle\n\n  \ntwo squares\n")),
              ElementsAre("a red circle", "two squares"));
  EXPECT_THAT(*ReadCorpusTexts(WriteTemp("pretrain.json",
                                         R"([{"file_name": "a.jpg", "image_id": 1, "height": 1, "width": 1,
                                              "captions": ["c1", "c2"]}])")),
              ElementsAre("c1", "c2"));
  EXPECT_THAT(*ReadCorpusTexts(WriteTemp("vqa.json",
                                         R"({"label2ans": [], "data": [{"file_name": "a.jpg", "image_id": 1,
                                              "height": 1, "width": 1, "vqa": [{"question": "q?", "question_id": 3}]}]})")),
              ElementsAre("q?"));
  const auto vqa_v2 = ReadCorpusTexts("testdata/vqa/v2_OpenEnded_mscoco_test2015_questions.json");
  ASSERT_TRUE(vqa_v2.ok()) << vqa_v2.status();
  EXPECT_THAT(*vqa_v2, ElementsAre("What is on the table?", "Is it sunny?", "How many people?"));
  const auto coco = ReadCorpusTexts("testdata/coco/captions_train2014.json");
  ASSERT_TRUE(coco.ok()) << coco.status();
  EXPECT_EQ(coco->size(), 6u);  // every string caption, as written
}

TEST(TextCorpusTest, Errors) {
  const auto unknown = ReadCorpusTexts(WriteTemp("unknown.json", R"({"x": 1})"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("unknown.json: not a corpus"));
  const auto malformed = ReadCorpusTexts(WriteTemp("malformed.json", "[1,\n2"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_THAT(std::string(malformed.status().message()), HasSubstr("malformed.json:2:"));
}

}  // namespace
}  // namespace soho::data
