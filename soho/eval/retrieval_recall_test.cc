// Recall@K on a constructed score matrix, every rank worked out by hand.
#include "soho/eval/retrieval_recall.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soho::eval {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Three images, two texts each: texts 0,1 -> image 0; 2,3 -> image 1; 4,5 -> image 2.
//              t0   t1   t2   t3   t4   t5
//   image 0   .9   .1   .8   .2   .3   .4
//   image 1   .5   .7   .6   .1   .2   .3
//   image 2   .1   .2   .3   .9   .5   .5
const std::vector<float> kScores = {.9f, .1f, .8f, .2f, .3f, .4f,  //
                                    .5f, .7f, .6f, .1f, .2f, .3f,  //
                                    .1f, .2f, .3f, .9f, .5f, .5f};
const std::vector<int64_t> kTextImage = {0, 0, 1, 1, 2, 2};

TEST(RetrievalRecallTest, ConstructedMatrix) {
  auto recall = ComputeRetrievalRecall(kScores, 3, kTextImage, {1, 2, 3});
  ASSERT_TRUE(recall.ok()) << recall.status();
  // text -> image, the rank of each text's image in its column:
  //   t0 [.9 .5 .1] image 0 first: 0     t1 [.1 .7 .2] image 0 last: 2
  //   t2 [.8 .6 .3] image 1 second: 1    t3 [.2 .1 .9] image 1 last: 2
  //   t4 [.3 .2 .5] image 2 first: 0     t5 [.4 .3 .5] image 2 first: 0
  // R@1 = 3/6, R@2 = 4/6, R@3 = 6/6.
  EXPECT_THAT(recall->text_to_image, ElementsAre(DoubleNear(50.0, 1e-9), DoubleNear(400.0 / 6, 1e-9), 100.0));
  // image -> text, the best rank of the image's texts in its row:
  //   image 0: t0 (.9) is first -> 0
  //   image 1: t2 (.6) comes after t1 (.7) -> 1
  //   image 2: t4 (.5) after t3 (.9); t5 ties with t4 but t4 has the lower index -> t4 at 1
  // R@1 = 1/3, R@2 = 3/3, R@3 = 3/3.
  EXPECT_THAT(recall->image_to_text, ElementsAre(DoubleNear(100.0 / 3, 1e-9), 100.0, 100.0));
  EXPECT_EQ(recall->num_images, 3);
  EXPECT_EQ(recall->num_texts, 6);
  EXPECT_THAT(FormatRetrievalRecall(*recall), HasSubstr("text->image R@1 50.00 R@2 66.67 R@3 100.00"));
  EXPECT_THAT(FormatRetrievalRecall(*recall), HasSubstr("image->text R@1 33.33"));
}

TEST(RetrievalRecallTest, TiesRankTheLowerIndexFirst) {
  // Two images, two texts; image 0 scores t0 as well as image 1 does.
  auto recall = ComputeRetrievalRecall({.5f, .2f, .5f, .7f}, 2, {1, 0}, {1});
  ASSERT_TRUE(recall.ok()) << recall.status();
  // t0 describes image 1: column [.5 .5] -> image 0 first (lower index) -> miss.
  // t1 describes image 0: column [.2 .7] -> miss.  text->image R@1 = 0.
  // image 0 row [.5 .2]: its text t1 (.2) ranks 1 -> miss; image 1 row [.5 .7]: t0 (.5) ranks 1 -> miss.
  EXPECT_THAT(recall->text_to_image, ElementsAre(0.0));
  EXPECT_THAT(recall->image_to_text, ElementsAre(0.0));
}

TEST(RetrievalRecallTest, Errors) {
  EXPECT_THAT(std::string(ComputeRetrievalRecall({1.f}, 2, {0}).status().message()),
              HasSubstr("score matrix has 1 entries, expected 2 images x 1 texts"));
  EXPECT_THAT(std::string(ComputeRetrievalRecall({1.f, 1.f}, 1, {0, 3}).status().message()),
              HasSubstr("text 1 describes image 3"));
  EXPECT_THAT(std::string(ComputeRetrievalRecall({1.f, 1.f}, 2, {0}).status().message()),
              HasSubstr("image 1 has no text"));
  EXPECT_THAT(std::string(ComputeRetrievalRecall({1.f}, 1, {0}, {0}).status().message()), HasSubstr("k >= 1"));
  EXPECT_THAT(std::string(ComputeRetrievalRecall({NAN}, 1, {0}).status().message()), HasSubstr("not finite"));
}

}  // namespace
}  // namespace soho::eval
