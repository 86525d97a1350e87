// Statistics of the synthetic world's scenes, captions and questions over many seeds
// (no rendering): geometry, caption variety, and answer balance.
#include "soho/data/prepare/synthetic_scene.h"

#include <cmath>
#include <map>
#include <iostream>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/data/prepare/vqa_answer_normalizer.h"

namespace soho::data::synthetic {
namespace {

constexpr int kScenes = 3000;

struct World {
  std::vector<Scene> scenes;
  std::vector<std::vector<std::string>> captions;
  std::vector<QuestionAnswer> questions;
};

const World& Sample() {
  static const World* world = [] {
    auto* w = new World;
    for (int i = 0; i < kScenes; ++i) {
      Rng rng(CombineSeeds({7, 0, static_cast<uint64_t>(i)}));
      w->scenes.push_back(GenerateScene(&rng));
      w->captions.push_back(Captions(w->scenes.back(), 6, &rng));
      for (QuestionAnswer& qa : Questions(w->scenes.back(), 6, &rng)) w->questions.push_back(std::move(qa));
    }
    return w;
  }();
  return *world;
}

TEST(SyntheticSceneTest, GeometryAndSizes) {
  int landscape = 0, portrait = 0;
  std::map<size_t, int> objects;
  for (const Scene& s : Sample().scenes) {
    EXPECT_GE(std::min(s.width, s.height), 160);
    EXPECT_LE(std::max(s.width, s.height), 320);
    landscape += s.width > s.height;
    portrait += s.height > s.width;
    ++objects[s.objects.size()];
    for (size_t i = 0; i < s.objects.size(); ++i) {
      const Object& o = s.objects[i];
      EXPECT_GE(o.cx - o.radius, 0);
      EXPECT_LE(o.cx + o.radius, s.width);
      EXPECT_GE(o.cy - o.radius, 0);
      EXPECT_LE(o.cy + o.radius, s.height);
      for (size_t j = 0; j < i; ++j) {
        const Object& p = s.objects[j];
        EXPECT_GT(std::hypot(o.cx - p.cx, o.cy - p.cy), o.radius + p.radius);
      }
    }
  }
  EXPECT_GT(landscape, kScenes / 4);
  EXPECT_GT(portrait, kScenes / 4);
  for (size_t n = 1; n <= 4; ++n) EXPECT_GT(objects[n], kScenes / 8) << n << " objects";
  EXPECT_EQ(objects.count(0), 0u);
}

TEST(SyntheticSceneTest, MaxObjectsBoundsTheObjectCount) {
  std::set<size_t> counts;
  for (int i = 0; i < 200; ++i) {
    Rng rng(CombineSeeds({3, 0, static_cast<uint64_t>(i)}));
    const Scene scene = GenerateScene(&rng, /*max_objects=*/2);
    ASSERT_GE(scene.objects.size(), 1u);
    ASSERT_LE(scene.objects.size(), 2u);
    counts.insert(scene.objects.size());
  }
  EXPECT_EQ(counts, (std::set<size_t>{1, 2}));
}

TEST(SyntheticSceneTest, AtLeastFiveDistinctCaptions) {
  std::set<std::string> all;
  for (const auto& captions : Sample().captions) {
    EXPECT_GE(captions.size(), 5u);
    EXPECT_LE(captions.size(), 6u);
    EXPECT_EQ(std::set<std::string>(captions.begin(), captions.end()).size(), captions.size());
    all.insert(captions.begin(), captions.end());
  }
  EXPECT_GT(all.size(), 5000u);  // varied across images, not a handful of templates
}

TEST(SyntheticSceneTest, CaptionsDescribeTheScene) {
  Scene scene;
  scene.width = 300;
  scene.height = 200;
  scene.background_level = 128;
  Object circle{Shape::kCircle, Color::kRed, Size::kLarge, 60, 100, 30};
  Object square{Shape::kSquare, Color::kBlue, Size::kSmall, 240, 100, 15};
  scene.objects = {circle, square};
  Rng rng(3);
  const std::vector<std::string> captions = Captions(scene, 100, &rng);
  EXPECT_EQ(captions[0], "a large red circle and a small blue square");
  EXPECT_EQ(captions[1], "there are two shapes in the picture");
  EXPECT_THAT(captions, ::testing::Contains("a large red circle to the left of a small blue square"));
  EXPECT_THAT(captions, ::testing::Contains("a small blue square to the right of a large red circle"));
  EXPECT_THAT(captions, ::testing::Contains("the red circle is at the left"));
  EXPECT_THAT(captions, ::testing::Contains("two shapes on a plain gray background"));
  EXPECT_THAT(captions, ::testing::Contains("one large shape and one small shape"));
  EXPECT_EQ(PositionWord(scene, square), "right");
  EXPECT_EQ(RelationPhrase(square, circle), "to the right of");
}

TEST(SyntheticSceneTest, AnswersAreBalancedPerQuestionType) {
  std::map<std::string, std::map<std::string, int>> by_template;
  std::map<std::string, std::map<std::string, int>> by_question;  // a question-only "model"
  for (const QuestionAnswer& qa : Sample().questions) {
    ++by_template[qa.template_name][qa.answer];
    ++by_question[qa.question][qa.answer];
  }
  EXPECT_EQ(by_template.size(), 11u);
  for (const auto& [name, answers] : by_template) {
    int total = 0, top = 0;
    for (const auto& [answer, n] : answers) {
      total += n;
      top = std::max(top, n);
    }
    EXPECT_GT(total, 300) << name;
    if (answers.count("yes")) {
      EXPECT_NEAR(static_cast<double>(answers.at("yes")) / total, 0.5, 0.05) << name;
    } else {
      // Counts: one-object scenes only offer 0 or 1, so the top answer approaches 1/2.
      EXPECT_LT(static_cast<double>(top) / total, answers.size() == 2 ? 0.55 : 0.5)
          << name << ": one answer dominates";
    }
  }
  // Best accuracy of answering from the question text alone (its most frequent answer).
  int total = 0, best = 0;
  for (const auto& [question, answers] : by_question) {
    int top = 0;
    for (const auto& [answer, n] : answers) {
      total += n;
      top = std::max(top, n);
    }
    best += top;
  }
  const double question_only = static_cast<double>(best) / total;
  std::cout << "question-only accuracy upper bound: " << question_only << "\n";
  EXPECT_LT(question_only, 0.6);
}

TEST(SyntheticSceneTest, AnnotatorAnswersNormalizeIntoTheAnswerSet) {
  const std::set<std::string> answer_set = {
      "yes", "no", "0", "1", "2", "3", "4", "5", "red", "green", "blue", "yellow", "purple",
      "orange", "circle", "square", "triangle", "diamond", "star", "left", "right", "top",
      "bottom", "center", "small", "large"};
  int agree = 0, answers = 0, unanimous = 0;
  for (const QuestionAnswer& qa : Sample().questions) {
    ASSERT_EQ(qa.annotator_answers.size(), 10u);
    EXPECT_EQ(NormalizeVqaAnswer(qa.answer), qa.answer);
    int same = 0;
    for (const std::string& raw : qa.annotator_answers) {
      const std::string normalized = NormalizeVqaAnswer(raw);
      EXPECT_TRUE(answer_set.count(normalized)) << "\"" << raw << "\" -> \"" << normalized << "\"";
      same += normalized == qa.answer;
    }
    EXPECT_GE(same, 4) << qa.question;  // the truth always gets the full soft score
    agree += same;
    answers += 10;
    unanimous += same == 10;
  }
  // A little annotator noise: most answers agree, but not all questions are unanimous.
  EXPECT_GT(static_cast<double>(agree) / answers, 0.93);
  EXPECT_LT(unanimous, static_cast<int>(Sample().questions.size()));
}

}  // namespace
}  // namespace soho::data::synthetic
