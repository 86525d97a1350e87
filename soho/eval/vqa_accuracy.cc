#include "soho/eval/vqa_accuracy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "soho/data/prepare/vqa_answer_normalizer.h"

namespace soho::eval {
namespace {

std::string ProcessPunctuationThenDigitArticle(absl::string_view text) {
  return data::VqaProcessDigitArticle(data::VqaProcessPunctuation(text));
}

// The script sums accuracies into a list per key and divides at the end; running sums in
// the same order give the same doubles.
struct Mean {
  double sum = 0;
  int64_t count = 0;
  void Add(double x) {
    sum += x;
    ++count;
  }
  // round(100*float(sum(acc))/len(acc), 2)
  double Percent() const { return RoundLikePython2(100.0 * sum / static_cast<double>(count), 2); }
};

}  // namespace

absl::StatusOr<VqaEvalRules> ParseVqaEvalRules(absl::string_view name) {
  if (name == "2017") return VqaEvalRules::kRelease2017;
  if (name == "2021") return VqaEvalRules::kRevised2021;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown VQA evaluation rules '", std::string(name),
      "': expected 2017 (the v2.0 release of vqaEval.py) or 2021 (its revision a013f00)"));
}

const char* VqaEvalRulesName(VqaEvalRules rules) {
  return rules == VqaEvalRules::kRelease2017 ? "2017" : "2021";
}

double VqaQuestionAccuracy(absl::string_view predicted, const std::vector<VqaGtAnswer>& answers,
                           VqaEvalRules rules) {
  const size_t n = answers.size();
  std::vector<std::string> gt;
  gt.reserve(n);
  for (const VqaGtAnswer& a : answers) {
    gt.push_back(rules == VqaEvalRules::kRevised2021 ? data::VqaCleanWhitespace(a.answer) : a.answer);
  }
  std::string prediction = data::VqaCleanWhitespace(predicted);
  // len(set(gtAnswers)) > 1
  const bool answers_differ =
      std::any_of(gt.begin(), gt.end(), [&](const std::string& a) { return a != gt.front(); });
  if (rules == VqaEvalRules::kRelease2017) {
    prediction = ProcessPunctuationThenDigitArticle(prediction);
    if (answers_differ) {
      for (std::string& a : gt) a = data::VqaProcessPunctuation(a);
    }
  } else if (answers_differ) {
    for (std::string& a : gt) a = ProcessPunctuationThenDigitArticle(a);
    prediction = ProcessPunctuationThenDigitArticle(prediction);
  }
  // Entries i and j are the same dict when every field is equal (after processing).
  auto same_entry = [&](size_t i, size_t j) {
    return gt[i] == gt[j] && answers[i].other_fields == answers[j].other_fields;
  };
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    int matching = 0;
    for (size_t j = 0; j < n; ++j) {
      if (!same_entry(i, j) && gt[j] == prediction) ++matching;
    }
    sum += std::min(1.0, matching / 3.0);
  }
  return sum / static_cast<double>(n);
}

double RoundLikePython2(double x, int digits) {
  if (!std::isfinite(x) || digits < 0 || digits > 1000) return x;
  // glibc prints the exact decimal expansion of a double (at most 1074 fractional digits),
  // so the digit after the last kept one decides: >= 5 means at least half, rounded away
  // from zero; < 5 means less than half.
  const double magnitude = std::fabs(x);
  const int length = std::snprintf(nullptr, 0, "%.1100f", magnitude);
  std::string text(static_cast<size_t>(length) + 1, '\0');
  std::snprintf(text.data(), text.size(), "%.1100f", magnitude);
  text.resize(static_cast<size_t>(length));
  const size_t point = text.find('.');
  const size_t keep = point + 1 + static_cast<size_t>(digits);  // up to the last kept digit
  const bool round_up = text[keep] >= '5';
  std::string kept = text.substr(0, keep);
  if (round_up) {
    // Add one unit in the last kept place, carrying through nines (and the point).
    int i = static_cast<int>(kept.size()) - 1;
    for (; i >= 0; --i) {
      if (kept[i] == '.') continue;
      if (kept[i] != '9') {
        ++kept[i];
        break;
      }
      kept[i] = '0';
    }
    if (i < 0) kept.insert(kept.begin(), '1');
  }
  const double rounded = std::strtod(kept.c_str(), nullptr);
  return x < 0 ? -rounded : rounded;
}

absl::StatusOr<VqaAccuracy> ScoreVqa(const std::vector<VqaGroundTruth>& ground_truth,
                                     const std::vector<VqaResult>& results, VqaEvalRules rules,
                                     const VqaScoreSources& sources) {
  if (ground_truth.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(sources.annotations, ": no annotated questions"));
  }
  absl::flat_hash_map<int64_t, size_t> annotation_of;
  for (size_t i = 0; i < ground_truth.size(); ++i) {
    const VqaGroundTruth& gt = ground_truth[i];
    if (!annotation_of.emplace(gt.question_id, i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.annotations, ": question_id ", gt.question_id, " is annotated twice"));
    }
    if (gt.answers.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.annotations, ": question_id ", gt.question_id, " has no answers"));
    }
  }
  absl::flat_hash_map<int64_t, const std::string*> answer_of;
  for (const VqaResult& r : results) {
    if (!annotation_of.contains(r.question_id)) {
      return absl::InvalidArgumentError(absl::StrCat(sources.results, ": question_id ", r.question_id,
                                                     " is not in ", sources.annotations));
    }
    if (!answer_of.emplace(r.question_id, &r.answer).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.results, ": question_id ", r.question_id, " has more than one result"));
    }
  }
  if (answer_of.size() != ground_truth.size()) {
    for (const VqaGroundTruth& gt : ground_truth) {
      if (answer_of.contains(gt.question_id)) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          sources.results, ": no result for question_id ", gt.question_id, " (", ground_truth.size() - answer_of.size(),
          " of the ", ground_truth.size(), " questions in ", sources.annotations, " have none)"));
    }
  }

  Mean overall;
  std::map<std::string, Mean> by_answer_type, by_question_type;
  VqaAccuracy accuracy;
  for (const VqaGroundTruth& gt : ground_truth) {
    const double acc = VqaQuestionAccuracy(*answer_of.at(gt.question_id), gt.answers, rules);
    overall.Add(acc);
    by_answer_type[gt.answer_type].Add(acc);
    by_question_type[gt.question_type].Add(acc);
    accuracy.per_question[gt.question_id] = RoundLikePython2(100.0 * acc, 2);
  }
  accuracy.overall = overall.Percent();
  accuracy.num_questions = overall.count;
  for (const auto& [type, mean] : by_answer_type) {
    accuracy.per_answer_type[type] = mean.Percent();
    accuracy.answer_type_counts[type] = mean.count;
  }
  for (const auto& [type, mean] : by_question_type) {
    accuracy.per_question_type[type] = mean.Percent();
    accuracy.question_type_counts[type] = mean.count;
  }
  return accuracy;
}

nlohmann::json VqaAccuracyToJson(const VqaAccuracy& accuracy) {
  nlohmann::json out = nlohmann::json::object();
  out["overall"] = accuracy.overall;
  out["perAnswerType"] = nlohmann::json::object();
  for (const auto& [type, value] : accuracy.per_answer_type) out["perAnswerType"][type] = value;
  out["perQuestionType"] = nlohmann::json::object();
  for (const auto& [type, value] : accuracy.per_question_type) out["perQuestionType"][type] = value;
  return out;
}

std::string FormatVqaAccuracyTable(const VqaAccuracy& accuracy) {
  size_t width = 13;  // "question type"
  for (const auto& [type, value] : accuracy.per_question_type) width = std::max(width, type.size());
  std::string out;
  auto row = [&](const std::string& name, const std::string& value, const std::string& count) {
    absl::StrAppendFormat(&out, "  %-*s %9s %10s\n", static_cast<int>(width), name, value, count);
  };
  auto section = [&](const std::string& title, const std::map<std::string, double>& values,
                     const std::map<std::string, int64_t>& counts) {
    row(title, "accuracy", "questions");
    for (const auto& [type, value] : values) {
      row(type.empty() ? "(none)" : type, absl::StrFormat("%.2f", value), absl::StrCat(counts.at(type)));
    }
  };
  row("overall", absl::StrFormat("%.2f", accuracy.overall), absl::StrCat(accuracy.num_questions));
  out += "\n";
  section("answer type", accuracy.per_answer_type, accuracy.answer_type_counts);
  out += "\n";
  section("question type", accuracy.per_question_type, accuracy.question_type_counts);
  return out;
}

}  // namespace soho::eval
