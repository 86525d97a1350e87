// End to end: a tiny synthetic world on disk, read back through the project's readers.
#include "soho/data/prepare/synthetic_world.h"

#include <cstdlib>
#include <filesystem>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "soho/common/file_util.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/text/bert_tokenizer.h"

namespace soho::data {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::Not;

std::string TempDir(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

SyntheticWorldOptions Tiny(const std::string& out, int threads) {
  SyntheticWorldOptions options;
  options.out_dir = out;
  options.num_images = 12;
  options.num_eval_images = 3;
  options.seed = 5;
  options.num_threads = threads;
  return options;
}

std::vector<std::string> RelativeFiles(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class SyntheticWorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(TempDir("world_a"));
    const auto report = GenerateSyntheticWorld(Tiny(*dir_, 1));
    ASSERT_TRUE(report.ok()) << report.status();
    report_ = new SyntheticWorldReport(*report);
  }
  static std::string* dir_;
  static SyntheticWorldReport* report_;
};
std::string* SyntheticWorldTest::dir_ = nullptr;
SyntheticWorldReport* SyntheticWorldTest::report_ = nullptr;

TEST_F(SyntheticWorldTest, WritesEveryFileTheTinyConfigsRead) {
  for (const char* name : {"pretrain_train.json", "pretrain_val.json", "vqa_train.json", "vqa_val.json",
                           "vqa_test.json", "vocab.txt", "raw/v2_OpenEnded_synthetic_train_questions.json",
                           "raw/v2_synthetic_train_annotations.json"}) {
    EXPECT_TRUE(PathExists(*dir_ + "/" + name)) << name;
  }
  EXPECT_EQ(report_->num_train_images, 12);
  EXPECT_EQ(report_->num_val_images, 3);
  EXPECT_EQ(report_->num_test_images, 3);
  EXPECT_LE(report_->vocab_entries, 512);
  EXPECT_LE(report_->num_answers, 64);
  EXPECT_GT(report_->num_answers, 5);
}

TEST_F(SyntheticWorldTest, PretrainAnnotationsMatchTheImages) {
  const auto train = ReadPretrainAnnotations(*dir_ + "/pretrain_train.json");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->entries.skipped, 0);
  ASSERT_EQ(train->images.size(), 12u);
  std::set<int64_t> ids;
  for (const PretrainImage& image : train->images) {
    ids.insert(image.image_id);
    EXPECT_GE(image.captions.size(), 5u);
    const cv::Mat decoded = cv::imread(*dir_ + "/images/" + image.file_name);
    ASSERT_FALSE(decoded.empty()) << image.file_name;
    EXPECT_EQ(decoded.rows, image.height);
    EXPECT_EQ(decoded.cols, image.width);
  }
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_EQ(train->images[0].file_name, "synth_train_000000000001.jpg");
  const auto val = ReadPretrainAnnotations(*dir_ + "/pretrain_val.json");
  ASSERT_TRUE(val.ok());
  EXPECT_EQ(val->images.size(), 3u);
  EXPECT_EQ(val->images[0].image_id, 13);
}

TEST_F(SyntheticWorldTest, VqaSplitsWithSoftScoresAndUnlabeledTest) {
  const auto train = ReadVqaAnnotations(*dir_ + "/vqa_train.json");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->images.size(), 12u);
  EXPECT_EQ(train->question_entries.skipped, 0);
  int questions = 0, partial_scores = 0;
  for (const VqaImage& image : train->images) {
    EXPECT_GT(image.height, 0);
    for (const VqaQuestion& q : image.questions) {
      ++questions;
      EXPECT_TRUE(q.has_answers);
      // The right answer has the full score (>= 4 of 10 annotators agree on it).
      EXPECT_THAT(q.scores, Contains(1.0)) << q.question;
      for (const double score : q.scores) {
        EXPECT_THAT(score, ::testing::AnyOf(0.3, 0.6, 0.9, 1.0));
        partial_scores += score < 1.0;
      }
    }
  }
  EXPECT_EQ(questions, 12 * 6);
  EXPECT_GT(partial_scores, 0);  // annotator noise: not every score is 1.0
  const auto test = ReadVqaAnnotations(*dir_ + "/vqa_test.json");
  ASSERT_TRUE(test.ok()) << test.status();
  ASSERT_EQ(test->images.size(), 3u);
  EXPECT_EQ(test->answers.label2ans, train->answers.label2ans);
  for (const VqaImage& image : test->images) {
    for (const VqaQuestion& q : image.questions) {
      EXPECT_FALSE(q.has_answers);
      EXPECT_EQ(q.question_id / 100, image.image_id);
    }
  }
}

TEST_F(SyntheticWorldTest, LearnedVocabularyCoversAllText) {
  const auto tokenizer = BertTokenizer::Create(*dir_ + "/vocab.txt");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->pad_id(), 0);
  const auto train = ReadPretrainAnnotations(*dir_ + "/pretrain_train.json");
  const auto vqa = ReadVqaAnnotations(*dir_ + "/vqa_val.json");
  ASSERT_TRUE(train.ok() && vqa.ok());
  for (const PretrainImage& image : train->images) {
    for (const std::string& caption : image.captions) {
      EXPECT_THAT((*tokenizer)->TokenizeToIds(caption), Not(Contains((*tokenizer)->unk_id()))) << caption;
    }
  }
  for (const VqaImage& image : vqa->images) {
    for (const VqaQuestion& q : image.questions) {
      EXPECT_THAT((*tokenizer)->TokenizeToIds(q.question), Not(Contains((*tokenizer)->unk_id())));
    }
  }
}

TEST_F(SyntheticWorldTest, DeterministicForASeedWhateverTheThreadCount) {
  const std::string other = TempDir("world_b");
  ASSERT_TRUE(GenerateSyntheticWorld(Tiny(other, 3)).ok());
  const std::vector<std::string> files = RelativeFiles(*dir_);
  ASSERT_EQ(files, RelativeFiles(other));
  EXPECT_EQ(files.size(), 18u + 6u + 6u);  // images, json files, raw VQA files
  for (const std::string& file : files) {
    EXPECT_EQ(*ReadFileToString(*dir_ + "/" + file), *ReadFileToString(other + "/" + file)) << file;
  }
  SyntheticWorldOptions reseeded = Tiny(TempDir("world_c"), 2);
  reseeded.seed = 6;
  ASSERT_TRUE(GenerateSyntheticWorld(reseeded).ok());
  EXPECT_NE(*ReadFileToString(*dir_ + "/pretrain_train.json"),
            *ReadFileToString(reseeded.out_dir + "/pretrain_train.json"));
}

TEST(SyntheticWorldOptionsTest, InvalidOptions) {
  SyntheticWorldOptions options = Tiny(TempDir("world_bad"), 1);
  options.captions_per_image = 4;
  EXPECT_FALSE(GenerateSyntheticWorld(options).ok());
  options = Tiny("", 1);
  EXPECT_FALSE(GenerateSyntheticWorld(options).ok());
  options = Tiny(TempDir("world_small_vocab"), 1);
  options.max_objects = 5;
  EXPECT_FALSE(GenerateSyntheticWorld(options).ok());
  options.max_objects = 4;
  options.vocab_size = 20;
  const auto small = GenerateSyntheticWorld(options);
  ASSERT_FALSE(small.ok());
  EXPECT_THAT(std::string(small.status().message()), ::testing::HasSubstr("too small"));
}

}  // namespace
}  // namespace soho::data
