// The official VQA accuracy on hand-made official-format files and hand-built answer lists.
// Every expected value is worked out by hand in the comments; the fixture's numbers were
// also cross-checked by running both revisions of GT-Vision-Lab's vqaEval.py on
// testdata/vqa_eval; tools/eval_vqa_reference_test.py compares against a Python
// transcription of the script on random files.
#include "soho/eval/vqa_accuracy.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/eval/vqa_official_files.h"

namespace soho::eval {
namespace {

using ::testing::HasSubstr;

constexpr char kQuestions[] = "testdata/vqa_eval/questions.json";
constexpr char kAnnotations[] = "testdata/vqa_eval/annotations.json";
constexpr char kResults[] = "testdata/vqa_eval/results.json";

// Ten annotator answers: `n_first` times `first`, the rest `second`, with distinct answer ids
// (so that no two entries are the same dict).
std::vector<VqaGtAnswer> Answers(const std::string& first, int n_first, const std::string& second) {
  std::vector<VqaGtAnswer> answers;
  for (int i = 0; i < 10; ++i) {
    VqaGtAnswer a;
    a.answer = i < n_first ? first : second;
    a.other_fields = {{"answer_confidence", "yes"}, {"answer_id", i + 1}};
    answers.push_back(a);
  }
  return answers;
}

double Acc2017(const std::string& predicted, const std::vector<VqaGtAnswer>& answers) {
  return VqaQuestionAccuracy(predicted, answers, VqaEvalRules::kRelease2017);
}
double Acc2021(const std::string& predicted, const std::vector<VqaGtAnswer>& answers) {
  return VqaQuestionAccuracy(predicted, answers, VqaEvalRules::kRevised2021);
}

TEST(VqaQuestionAccuracyTest, LeaveOneOutAveraging) {
  // n of the 10 answers match. Leaving out a matching answer leaves n-1 matches, leaving out
  // another leaves n; each subset scores min(1, matches/3):
  //   n=0: 0
  //   n=1: (1*0   + 9*1/3) / 10 = 0.3
  //   n=2: (2*1/3 + 8*2/3) / 10 = 0.6
  //   n=3: (3*2/3 + 7*1)   / 10 = 0.9
  //   n=4: (4*1   + 6*1)   / 10 = 1
  const double expected[] = {0.0, 0.3, 0.6, 0.9, 1.0};
  for (int n = 0; n <= 4; ++n) {
    EXPECT_NEAR(Acc2017("cat", Answers("cat", n, "dog")), expected[n], 1e-12) << n << " matches";
    EXPECT_NEAR(Acc2021("cat", Answers("cat", n, "dog")), expected[n], 1e-12) << n << " matches";
  }
  // Fewer than ten answers: the mean is over however many there are. 2 answers, both "cat":
  // each leave-one-out subset has 1 match -> 1/3.
  std::vector<VqaGtAnswer> two = Answers("cat", 10, "cat");
  two.resize(2);
  EXPECT_NEAR(Acc2017("cat", two), 1.0 / 3, 1e-12);
}

TEST(VqaQuestionAccuracyTest, PredictionIsCleanedAndNormalized) {
  // Ground truth not all identical, so both revisions normalize the prediction.
  const std::vector<VqaGtAnswer> yes = Answers("yes", 9, "no");
  EXPECT_EQ(Acc2017(" yes\n", yes), 1.0);  // newline -> space, strip
  EXPECT_EQ(Acc2017("\tYes.", yes), 1.0);  // tab, lower-case, period stripped
  EXPECT_EQ(Acc2017("yes!?", yes), 1.0);   // punctuation not next to a space: replaced by spaces
  EXPECT_EQ(Acc2017("the yes", yes), 1.0);  // article dropped
  EXPECT_EQ(Acc2017("yes , yes", Answers("yes yes", 9, "no")), 1.0);  // " ," -> comma deleted
  EXPECT_EQ(Acc2017("none", Answers("0", 9, "1")), 1.0);   // number word -> digit
  EXPECT_EQ(Acc2017("Ten", Answers("10", 9, "1")), 1.0);
  EXPECT_EQ(Acc2017("1,000", Answers("1000", 9, "1")), 1.0);  // comma between digits deleted
  EXPECT_EQ(Acc2017("3.5", Answers("3.5", 9, "1")), 1.0);     // decimal point kept
  EXPECT_EQ(Acc2017("dont know", Answers("don't know", 9, "no")), 1.0);  // contraction table
  EXPECT_EQ(Acc2017("t-shirt", Answers("t shirt", 9, "no")), 1.0);  // '-' -> ' '
  EXPECT_EQ(Acc2017("red", Answers("Red", 9, "blue")), 0.0);  // ground truth keeps its case
}

TEST(VqaQuestionAccuracyTest, GroundTruthGetsPunctuationOnlyIn2017) {
  // Not all identical -> each ground-truth answer gets processPunctuation only, and is not
  // stripped afterwards: "!" is not next to a space, so "yes!" becomes "yes " (trailing
  // space), which the prediction "yes" never equals -> 0.
  EXPECT_EQ(Acc2017("yes", Answers("yes!", 9, "no")), 0.0);
  // "yes." -> the period is stripped -> "yes": 9 matches -> 1.
  EXPECT_EQ(Acc2017("yes", Answers("yes.", 9, "no")), 1.0);
  // Digits and articles are not processed in the ground truth: "two" stays "two" while the
  // prediction "two" becomes "2" -> 0; "a dog" keeps its article -> 0.
  EXPECT_EQ(Acc2017("two", Answers("two", 9, "3")), 0.0);
  EXPECT_EQ(Acc2017("a dog", Answers("a dog", 9, "cat")), 0.0);
  // 2021: the ground truth is fully normalized as well -> all of these match.
  EXPECT_EQ(Acc2021("yes", Answers("yes!", 9, "no")), 1.0);
  EXPECT_EQ(Acc2021("two", Answers("two", 9, "3")), 1.0);
  EXPECT_EQ(Acc2021("a dog", Answers("a dog", 9, "cat")), 1.0);
}

TEST(VqaQuestionAccuracyTest, AllTenIdenticalQuirk) {
  // All ten identical: the ground truth is used raw.
  // 2017: the prediction is still normalized, so "Yes" (-> "yes") misses ten raw "Yes" and
  // "two" (-> "2") misses ten "two"; "yes." (-> "yes") matches ten "yes".
  EXPECT_EQ(Acc2017("Yes", Answers("Yes", 10, "Yes")), 0.0);
  EXPECT_EQ(Acc2017("two", Answers("two", 10, "two")), 0.0);
  EXPECT_EQ(Acc2017("yes.", Answers("yes", 10, "yes")), 1.0);
  // 2021: neither side is normalized, only cleaned: "yes." misses "yes", " Yes\n" matches
  // "Yes", and "two" matches "two".
  EXPECT_EQ(Acc2021("yes.", Answers("yes", 10, "yes")), 0.0);
  EXPECT_EQ(Acc2021(" Yes\n", Answers("Yes", 10, "Yes")), 1.0);
  EXPECT_EQ(Acc2021("two", Answers("two", 10, "two")), 1.0);
  // 2021 cleans the ground truth before testing identity: "yes" and "yes\n" are identical.
  std::vector<VqaGtAnswer> cleaned_identical = Answers("yes", 5, "yes\n");
  EXPECT_EQ(Acc2021("yes.", cleaned_identical), 0.0);  // identical -> the period stays
  // 2017 compares the raw answers, so they differ and get punctuation processing, which
  // leaves "yes\n" unchanged: the prediction "yes" matches 5 -> 1.
  EXPECT_EQ(Acc2017("yes.", cleaned_identical), 1.0);
}

TEST(VqaQuestionAccuracyTest, EqualEntriesLeaveOutTogether) {
  // Entries 0 and 1 are equal in every field; the script's `item != gtAnsDatum` drops both
  // when either is left out. Prediction "cat"; answers cat(id 1), cat(id 1), cat(id 2), 7 dog:
  //   leaving out entry 0 or 1: only entry 2 matches -> 1/3 each
  //   leaving out entry 2: entries 0 and 1 match -> 2/3
  //   leaving out a dog: 3 matches -> 1, seven times
  //   mean = (1/3 + 1/3 + 2/3 + 7) / 10 = 25/30
  std::vector<VqaGtAnswer> answers = Answers("cat", 3, "dog");
  answers[1].other_fields = answers[0].other_fields;
  EXPECT_NEAR(Acc2017("cat", answers), 25.0 / 30, 1e-12);
  // Same answer, different confidence: different dicts, the usual 0.9.
  answers[1].other_fields["answer_confidence"] = "maybe";
  EXPECT_NEAR(Acc2017("cat", answers), 0.9, 1e-12);
}

TEST(RoundLikePython2Test, HalvesAwayFromZeroOnTheExactValue) {
  EXPECT_EQ(RoundLikePython2(0.125, 2), 0.13);    // exactly half: away from zero (Python 3: 0.12)
  EXPECT_EQ(RoundLikePython2(-0.125, 2), -0.13);
  EXPECT_EQ(RoundLikePython2(62.125, 2), 62.13);  // exactly representable half
  EXPECT_EQ(RoundLikePython2(2.675, 2), 2.67);    // 2.67499999999999982236431605997495353221893310546875
  EXPECT_EQ(RoundLikePython2(0.005, 2), 0.01);    // 0.005000000000000000104...
  EXPECT_EQ(RoundLikePython2(9.995, 2), 9.99);    // 9.99499999999999921840...
  EXPECT_EQ(RoundLikePython2(99.995, 2), 100.0);  // 99.99500000000000454...: up, carrying through the nines
  EXPECT_EQ(RoundLikePython2(100.0 * 187 / 270, 2), 69.26);
  EXPECT_EQ(RoundLikePython2(83.33333333333333, 2), 83.33);
  EXPECT_EQ(RoundLikePython2(0.0, 2), 0.0);
}

// The fixture's nine questions (testdata/vqa_eval) and what each scores:
//   id type/qtype                 answers                        result          2017   2021
//   1  yes/no  "is the"           10 x "yes"                     "Yes."          1      0
//      2017 normalizes the prediction to "yes"; 2021 leaves both raw (all identical).
//   2  number  "how many"         2 x "2", 5 x "two", 3 x "3"    "two"           0.6    1
//      2017: ground truth gets punctuation only ("two" stays), prediction -> "2": 2 match.
//      2021: ground truth normalized too: 7 x "2" match.
//   3  other   "what color is the" 3 x "red", 7 x "blue"         "red"           0.9    0.9
//   4  other   "what color is the" 1 x "red", 9 x "blue"         "red"           0.3    0.3
//   5  other   "what is the"      3 x "t-shirt", 2 x "t shirt",  "The T-shirt!"  1      1
//                                 5 x "shirt"                    -> "t shirt": 5 match
//   6  other   "what is the"      8 x "a dog", 2 x "dog"         "A dog"         0.6    1
//      2017: "a dog" keeps its article in the ground truth; the prediction loses it: 2 match.
//   7  number  "how many"         4 x "1,000", 6 x "1000"        " 1,000\n"      1      1
//   8  other   "what animal is"   cat(id 1) twice, cat(id 2),    "cat"           25/30  25/30
//                                 7 x dog (EqualEntriesLeaveOutTogether)
//   9  yes/no  "is the"           10 x "Yes"                     "yes"           0      0
// 2017: overall = (1+.6+.9+.3+1+.6+1+25/30+0)/9 = (187/30)/9 = 0.692592.. -> 69.26
//       yes/no (1+0)/2 -> 50; number (.6+1)/2 -> 80; other (.9+.3+1+.6+25/30)/5 = 109/150 -> 72.67
//       "is the" 50, "how many" 80, "what color is the" 60, "what is the" 80, "what animal is" 83.33
// 2021: overall = (0+1+.9+.3+1+1+1+25/30+0)/9 = (181/30)/9 = 0.670370.. -> 67.04
//       yes/no 0; number 100; other (.9+.3+1+1+25/30)/5 = 121/150 -> 80.67
//       "is the" 0, "how many" 100, "what color is the" 60, "what is the" 100, "what animal is" 83.33
class FixtureTest : public ::testing::Test {
 protected:
  VqaAccuracy Score(VqaEvalRules rules) {
    auto gt = ReadVqaGroundTruth(kQuestions, kAnnotations);
    EXPECT_TRUE(gt.ok()) << gt.status();
    auto results = ReadVqaResultsFile(kResults);
    EXPECT_TRUE(results.ok()) << results.status();
    auto accuracy = ScoreVqa(*gt, *results, rules, {kAnnotations, kResults});
    EXPECT_TRUE(accuracy.ok()) << accuracy.status();
    return *accuracy;
  }
};

TEST_F(FixtureTest, Release2017) {
  const VqaAccuracy a = Score(VqaEvalRules::kRelease2017);
  EXPECT_EQ(a.num_questions, 9);
  EXPECT_EQ(a.overall, 69.26);
  EXPECT_EQ(a.per_answer_type, (std::map<std::string, double>{{"yes/no", 50.0}, {"number", 80.0}, {"other", 72.67}}));
  EXPECT_EQ(a.per_question_type,
            (std::map<std::string, double>{{"is the", 50.0}, {"how many", 80.0}, {"what color is the", 60.0},
                                           {"what is the", 80.0}, {"what animal is", 83.33}}));
  EXPECT_EQ(a.per_question, (std::map<int64_t, double>{{1, 100.0}, {2, 60.0}, {3, 90.0}, {4, 30.0}, {5, 100.0},
                                                       {6, 60.0}, {7, 100.0}, {8, 83.33}, {9, 0.0}}));
  EXPECT_EQ(a.answer_type_counts, (std::map<std::string, int64_t>{{"yes/no", 2}, {"number", 2}, {"other", 5}}));
  // The official key names, as vqaEval.py's `accuracy` dict.
  EXPECT_EQ(VqaAccuracyToJson(a).dump(),
            R"({"overall":69.26,"perAnswerType":{"number":80.0,"other":72.67,"yes/no":50.0},)"
            R"("perQuestionType":{"how many":80.0,"is the":50.0,"what animal is":83.33,)"
            R"("what color is the":60.0,"what is the":80.0}})");
  const std::string table = FormatVqaAccuracyTable(a);
  EXPECT_THAT(table, HasSubstr("overall"));
  EXPECT_THAT(table, HasSubstr("69.26"));
  EXPECT_THAT(table, HasSubstr("what animal is"));
}

TEST_F(FixtureTest, Revised2021) {
  const VqaAccuracy a = Score(VqaEvalRules::kRevised2021);
  EXPECT_EQ(a.overall, 67.04);
  EXPECT_EQ(a.per_answer_type, (std::map<std::string, double>{{"yes/no", 0.0}, {"number", 100.0}, {"other", 80.67}}));
  EXPECT_EQ(a.per_question_type,
            (std::map<std::string, double>{{"is the", 0.0}, {"how many", 100.0}, {"what color is the", 60.0},
                                           {"what is the", 100.0}, {"what animal is", 83.33}}));
}

TEST(ScoreVqaTest, ResultsMustMatchTheAnnotatedQuestions) {
  VqaGroundTruth q1{1, 10, "is the", "yes/no", "yes", Answers("yes", 10, "yes")};
  VqaGroundTruth q2{2, 10, "is the", "yes/no", "no", Answers("no", 10, "no")};
  const VqaScoreSources names{"A.json", "R.json"};
  const auto rules = VqaEvalRules::kRelease2017;

  auto ok = ScoreVqa({q1, q2}, {{2, "no"}, {1, "no"}}, rules, names);  // any order
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->overall, 50.0);

  auto unknown = ScoreVqa({q1, q2}, {{1, "yes"}, {2, "no"}, {7, "yes"}}, rules, names);
  EXPECT_THAT(unknown.status().message(), HasSubstr("R.json: question_id 7 is not in A.json"));
  auto duplicate = ScoreVqa({q1, q2}, {{1, "yes"}, {2, "no"}, {1, "no"}}, rules, names);
  EXPECT_THAT(duplicate.status().message(), HasSubstr("R.json: question_id 1 has more than one result"));
  auto missing = ScoreVqa({q1, q2}, {{1, "yes"}}, rules, names);
  EXPECT_THAT(missing.status().message(), HasSubstr("R.json: no result for question_id 2 (1 of the 2"));
  auto twice = ScoreVqa({q1, q1}, {{1, "yes"}}, rules, names);
  EXPECT_THAT(twice.status().message(), HasSubstr("A.json: question_id 1 is annotated twice"));
  VqaGroundTruth empty = q1;
  empty.answers.clear();
  EXPECT_THAT(ScoreVqa({empty}, {{1, "yes"}}, rules, names).status().message(),
              HasSubstr("A.json: question_id 1 has no answers"));
  EXPECT_THAT(ScoreVqa({}, {}, rules, names).status().message(), HasSubstr("A.json: no annotated questions"));
}

TEST(VqaEvalRulesTest, Names) {
  EXPECT_EQ(*ParseVqaEvalRules("2017"), VqaEvalRules::kRelease2017);
  EXPECT_EQ(*ParseVqaEvalRules("2021"), VqaEvalRules::kRevised2021);
  EXPECT_STREQ(VqaEvalRulesName(VqaEvalRules::kRevised2021), "2021");
  EXPECT_THAT(ParseVqaEvalRules("2019").status().message(), HasSubstr("expected 2017"));
}

}  // namespace
}  // namespace soho::eval
