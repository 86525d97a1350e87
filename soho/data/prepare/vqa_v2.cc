#include "soho/data/prepare/vqa_v2.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_fields.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/prepare/vqa_answer_normalizer.h"

namespace soho::data {
namespace {

using nlohmann::json;

struct Annotation {
  int64_t image_id = 0;
  std::vector<std::string> answers;  // normalized, one per annotator
  bool used = false;                 // some question refers to it
};

absl::Status ParseAnnotation(const json& entry, int64_t* question_id, Annotation* annotation) {
  SOHO_RETURN_IF_ERROR(GetField(entry, "question_id", question_id));
  SOHO_RETURN_IF_ERROR(GetField(entry, "image_id", &annotation->image_id));
  if (!entry.contains("answers") || !entry["answers"].is_array()) {
    return absl::InvalidArgumentError("missing list field 'answers'");
  }
  const json& answers = entry["answers"];
  for (size_t a = 0; a < answers.size(); ++a) {
    std::string answer;
    if (absl::Status s = GetField(answers[a], "answer", &answer); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("answers[", a, "]: ", s.message()));
    }
    annotation->answers.push_back(NormalizeVqaAnswer(answer));
  }
  return absl::OkStatus();
}

}  // namespace

double VqaSoftScore(int n) {
  static constexpr double kScores[] = {0.0, 0.3, 0.6, 0.9};
  return n < 0 ? 0.0 : n < 4 ? kScores[n] : 1.0;
}

std::string VqaImageFileName(const std::string& prefix, const std::string& data_subtype,
                             int64_t image_id) {
  return absl::StrFormat("%s%s_%012d.jpg", prefix, data_subtype, image_id);
}

absl::Status AnswerVocabBuilder::Add(const json& annotations, const std::string& path,
                                     ConversionSummary* summary) {
  SOHO_ASSIGN_OR_RETURN(const json* list, RequireListField(annotations, "annotations", path));
  for (size_t i = 0; i < list->size(); ++i) {
    std::string answer;
    if (absl::Status s = GetField((*list)[i], "multiple_choice_answer", &answer); !s.ok()) {
      summary->Skip("annotation without multiple_choice_answer (not counted for the vocabulary)",
                    absl::StrCat(path, " annotations[", i, "]: ", s.message()));
      continue;
    }
    ++counts_[NormalizeVqaAnswer(answer)];
  }
  return absl::OkStatus();
}

AnswerVocab AnswerVocabBuilder::Build() const {
  std::vector<std::pair<std::string, int64_t>> kept;
  for (const auto& [answer, count] : counts_) {
    if (count >= min_count_ && !answer.empty()) kept.emplace_back(answer, count);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> label2ans;
  for (auto& [answer, count] : kept) label2ans.push_back(answer);
  return *AnswerVocab::FromList(std::move(label2ans));  // distinct keys: cannot fail
}

absl::StatusOr<std::vector<VqaImage>> ConvertVqaV2(const VqaV2Input& input,
                                                   const AnswerVocab& answers,
                                                   const VqaV2Options& options,
                                                   ConversionSummary* summary) {
  const std::string& qpath = input.questions_path;
  SOHO_ASSIGN_OR_RETURN(const json* questions, RequireListField(*input.questions, "questions", qpath));
  std::string subtype;
  if (absl::Status s = GetField(*input.questions, "data_subtype", &subtype); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(qpath, ": ", s.message(), " (the image split, e.g. \"train2014\")"));
  }
  summary->Count("images", 0);
  summary->Count("questions", 0);

  // question_id -> annotation (train/val only).
  std::map<int64_t, Annotation> annotations;
  if (input.annotations != nullptr) {
    const std::string& apath = input.annotations_path;
    SOHO_ASSIGN_OR_RETURN(const json* list, RequireListField(*input.annotations, "annotations", apath));
    for (size_t i = 0; i < list->size(); ++i) {
      int64_t question_id = 0;
      Annotation annotation;
      if (absl::Status s = ParseAnnotation((*list)[i], &question_id, &annotation); !s.ok()) {
        summary->Skip("malformed annotation entry",
                      absl::StrCat(apath, " annotations[", i, "]: ", s.message()));
        continue;
      }
      if (!annotations.emplace(question_id, std::move(annotation)).second) {
        summary->Skip("duplicate annotation of a question",
                      absl::StrCat(apath, " annotations[", i, "] question_id ", question_id));
      }
    }
  }

  std::vector<VqaImage> images;
  absl::flat_hash_map<int64_t, size_t> index_of_image;
  absl::flat_hash_set<int64_t> question_ids;
  for (size_t i = 0; i < questions->size(); ++i) {
    const json& entry = (*questions)[i];
    int64_t image_id = 0;
    VqaQuestion question;
    absl::Status s = GetField(entry, "image_id", &image_id);
    if (s.ok()) s = GetField(entry, "question", &question.question);
    if (s.ok()) s = GetField(entry, "question_id", &question.question_id);
    if (!s.ok()) {
      summary->Skip("malformed question entry", absl::StrCat(qpath, " questions[", i, "]: ", s.message()));
      continue;
    }
    const std::string where = absl::StrCat(qpath, " questions[", i, "] question_id ", question.question_id);
    if (!question_ids.insert(question.question_id).second) {
      summary->Skip("duplicate question id", where);
      continue;
    }
    if (!summary->KeepText(question.question, "question", where)) continue;
    question.has_answers = input.annotations != nullptr;
    if (question.has_answers) {
      const auto it = annotations.find(question.question_id);
      if (it == annotations.end()) {
        summary->Skip("question without annotation", where);
        continue;
      }
      it->second.used = true;
      std::map<int, int> votes;  // answer id -> annotators; ordered by id
      for (const std::string& answer : it->second.answers) {
        if (const auto a = answers.ans2label.find(answer); a != answers.ans2label.end()) {
          ++votes[a->second];
        }
      }
      for (const auto& [label, n] : votes) {
        question.labels.push_back(label);
        question.scores.push_back(VqaSoftScore(n));
      }
      if (votes.empty()) summary->Count("questions with no answer in the vocabulary");
    }
    auto [slot, added] = index_of_image.emplace(image_id, images.size());
    if (added) {
      VqaImage image;
      image.image_id = image_id;
      image.file_name = VqaImageFileName(options.image_prefix, subtype, image_id);
      if (options.image_sizes != nullptr) {
        if (const auto size = options.image_sizes->find(image_id); size != options.image_sizes->end()) {
          image.height = size->second.height;
          image.width = size->second.width;
        }
      }
      if (image.height == 0) summary->Count("images of unknown size");
      images.push_back(std::move(image));
    }
    images[slot->second].questions.push_back(std::move(question));
    summary->Count("questions");
  }
  for (const auto& [question_id, annotation] : annotations) {
    if (!annotation.used) {
      summary->Skip("annotation of an unknown question",
                    absl::StrCat(input.annotations_path, " question_id ", question_id));
    }
  }
  summary->Count("images", static_cast<int64_t>(images.size()));
  return images;
}

}  // namespace soho::data
