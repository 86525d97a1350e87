#pragma once
// The official VQA accuracy, rule for rule as GT-Vision-Lab's evaluation script
// (PythonEvaluationTools/vqaEvaluation/vqaEval.py) computes it, quirks included:
//
//   per question: the mean, over the ground-truth answers a_i, of
//                 min(1, #{answers other than a_i equal to the prediction} / 3)
//                 (with 10 answers: the mean over the 10 leave-one-out subsets of 9);
//   overall, per answer type, per question type: the mean of those, x100, rounded to two
//                 decimals with Python 2's round().
//
// "Other than a_i" is the script's dict comparison (`item != gtAnsDatum`): an answer entry
// equal to a_i in *every* field (answer, answer_confidence, answer_id) is left out with it.
// How answers are normalized before comparing depends on the script's revision (VqaEvalRules).
// Pure C++ (no torch): the trainer's validation and `eval` share it.
#include <cstdint>
#include <map>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace soho::eval {

// Which revision of vqaEval.py to mirror.
enum class VqaEvalRules {
  // The VQA v2.0 release (2017-10-02), the rules the VQA v2 literature reports with: the
  // prediction is always cleaned (newline/tab -> space, strip) and normalized
  // (processPunctuation, then processDigitArticle); the ground-truth answers are used as
  // they are, except that when they are not all identical each gets processPunctuation
  // (only that, and no cleaning).
  kRelease2017,
  // GitHub master since commit a013f00 (2021-03-11, "Fixed processing answers bug"): every
  // answer, prediction and ground truth, is cleaned; only when the cleaned ground-truth
  // answers are not all identical are all of them, prediction included, normalized
  // (processPunctuation, then processDigitArticle). When they are all identical, the
  // prediction is compared merely cleaned ("Yes." does not match ten "yes").
  kRevised2021,
};

// "2017" / "2021" (the --vqa_eval_rules flag).
absl::StatusOr<VqaEvalRules> ParseVqaEvalRules(absl::string_view name);
const char* VqaEvalRulesName(VqaEvalRules rules);

// One annotator answer of an official annotation file.
struct VqaGtAnswer {
  std::string answer;
  // The entry's other fields ("answer_confidence", "answer_id", ...), for the script's dict
  // comparison. Always a JSON object.
  nlohmann::json other_fields = nlohmann::json::object();
};

// One entry of an official annotation file's "annotations" list.
struct VqaGroundTruth {
  int64_t question_id = 0;
  int64_t image_id = 0;
  std::string question_type;
  std::string answer_type;
  std::string multiple_choice_answer;
  std::vector<VqaGtAnswer> answers;  // 10 in VQA v2; at least one
};

// One entry of a results (submission) file.
struct VqaResult {
  int64_t question_id = 0;
  std::string answer;
};

// The accuracy of `predicted` on one question, in [0, 1] (not yet x100 or rounded).
// `answers` must be non-empty.
double VqaQuestionAccuracy(absl::string_view predicted, const std::vector<VqaGtAnswer>& answers,
                           VqaEvalRules rules);

// Python 2's round(x, digits) for digits >= 0: the exact binary value of x rounded to
// `digits` decimals, halves away from zero. vqaEval.py is Python 2 code; ports run under
// Python 3 round exact ties to even instead (5.625 -> 5.62 where this gives 5.63), the
// only place where they can differ from this implementation.
double RoundLikePython2(double x, int digits);

struct VqaAccuracy {
  // Percentages rounded to two decimals (the script's self.accuracy).
  double overall = 0;
  std::map<std::string, double> per_answer_type;
  std::map<std::string, double> per_question_type;
  // Per question, x100 and rounded (the script's evalQA).
  std::map<int64_t, double> per_question;
  // Questions behind each number, for the table.
  int64_t num_questions = 0;
  std::map<std::string, int64_t> answer_type_counts;
  std::map<std::string, int64_t> question_type_counts;
};

// Names of the inputs, for error messages (file paths when read from files).
struct VqaScoreSources {
  std::string annotations = "the annotations";
  std::string results = "the results";
};

// Scores `results` against `ground_truth` over every annotated question, in annotation
// order (the script's order of summation). Errors, each naming the input and a question id:
// no annotations, an annotation without answers, a question id annotated twice, a result
// for a question that is not annotated, two results for one question, an annotated
// question without a result (the script's "Results do not correspond to current VQA set").
absl::StatusOr<VqaAccuracy> ScoreVqa(const std::vector<VqaGroundTruth>& ground_truth,
                                     const std::vector<VqaResult>& results, VqaEvalRules rules,
                                     const VqaScoreSources& sources = {});

// {"overall": .., "perAnswerType": {..}, "perQuestionType": {..}}: the script's key names.
nlohmann::json VqaAccuracyToJson(const VqaAccuracy& accuracy);

// A terminal table: overall, then each answer type and question type with its count.
std::string FormatVqaAccuracyTable(const VqaAccuracy& accuracy);

}  // namespace soho::eval
