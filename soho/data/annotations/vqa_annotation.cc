#include "soho/data/annotations/vqa_annotation.h"

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_fields.h"
#include "soho/data/annotations/json_file.h"

namespace soho::data {
namespace {

using nlohmann::json;

absl::Status ParseQuestion(const json& entry, int num_answers, VqaQuestion* question) {
  SOHO_RETURN_IF_ERROR(GetField(entry, "question", &question->question));
  SOHO_RETURN_IF_ERROR(GetField(entry, "question_id", &question->question_id));
  question->has_answers = entry.is_object() && (entry.contains("labels") || entry.contains("scores"));
  if (!question->has_answers) return absl::OkStatus();
  SOHO_RETURN_IF_ERROR(GetField(entry, "labels", &question->labels));
  SOHO_RETURN_IF_ERROR(GetField(entry, "scores", &question->scores));
  if (question->labels.size() != question->scores.size()) {
    return absl::InvalidArgumentError(absl::StrCat(question->labels.size(), " labels but ",
                                                   question->scores.size(), " scores"));
  }
  for (const int label : question->labels) {
    if (label < 0 || label >= num_answers) {
      return absl::InvalidArgumentError(
          absl::StrCat("label ", label, " outside the answer vocabulary [0, ", num_answers, ")"));
    }
  }
  for (const double score : question->scores) {
    if (!(score >= 0.0 && score <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat("score ", score, " outside [0, 1]"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseImageFields(const json& entry, VqaImage* image) {
  SOHO_RETURN_IF_ERROR(GetField(entry, "file_name", &image->file_name));
  SOHO_RETURN_IF_ERROR(GetField(entry, "image_id", &image->image_id));
  SOHO_RETURN_IF_ERROR(GetField(entry, "height", &image->height));
  SOHO_RETURN_IF_ERROR(GetField(entry, "width", &image->width));
  if (image->file_name.empty()) return absl::InvalidArgumentError("empty 'file_name'");
  if (image->height < 0 || image->width < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("negative size ", image->height, "x", image->width));
  }
  if (!entry.contains("vqa") || !entry["vqa"].is_array()) {
    return absl::InvalidArgumentError(
        entry.contains("vqa") ? absl::StrCat("field 'vqa': expected list, got ",
                                             JsonTypeName(entry["vqa"]))
                              : "missing field 'vqa'");
  }
  return absl::OkStatus();
}

absl::StatusOr<AnswerVocab> ParseAnswerVocab(const json& root, const std::string& path) {
  std::vector<std::string> label2ans;
  if (absl::Status s = GetField(root, "label2ans", &label2ans); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  auto vocab = AnswerVocab::FromList(std::move(label2ans));
  if (!vocab.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", vocab.status().message()));
  // ans2label is redundant; when present it must agree, so a hand-edited file cannot
  // silently map answers to the wrong ids.
  if (root.contains("ans2label")) {
    const json& ans2label = root["ans2label"];
    if (!ans2label.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": field 'ans2label': expected object, got ", JsonTypeName(ans2label)));
    }
    if (ans2label.size() != vocab->label2ans.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": 'ans2label' has ", ans2label.size(), " answers but 'label2ans' has ",
                       vocab->label2ans.size()));
    }
    for (const auto& [answer, id] : ans2label.items()) {
      const auto it = vocab->ans2label.find(answer);
      if (!id.is_number_integer() || it == vocab->ans2label.end() || it->second != id.get<int64_t>()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": 'ans2label' entry \"", answer, "\" disagrees with 'label2ans'"));
      }
    }
  }
  return vocab;
}

}  // namespace

absl::StatusOr<AnswerVocab> AnswerVocab::FromList(std::vector<std::string> label2ans) {
  AnswerVocab vocab;
  vocab.ans2label.reserve(label2ans.size());
  for (size_t i = 0; i < label2ans.size(); ++i) {
    if (!vocab.ans2label.emplace(label2ans[i], static_cast<int>(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("answer \"", label2ans[i], "\" appears twice in 'label2ans'"));
    }
  }
  vocab.label2ans = std::move(label2ans);
  return vocab;
}

absl::StatusOr<VqaAnnotations> VqaAnnotationsFromJson(const json& root, const std::string& path) {
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": expected a JSON object with 'data', 'ans2label', 'label2ans' (VQA annotations), got ",
        JsonTypeName(root)));
  }
  VqaAnnotations result;
  SOHO_ASSIGN_OR_RETURN(result.answers, ParseAnswerVocab(root, path));
  if (!root.contains("data") || !root["data"].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": missing list field 'data'"));
  }
  const json& data = root["data"];
  result.images.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    ++result.image_entries.seen;
    VqaImage image;
    if (absl::Status s = ParseImageFields(data[i], &image); !s.ok()) {
      ++result.image_entries.skipped;
      LOG(WARNING) << path << ": skipping entry " << i
                   << (image.file_name.empty() ? "" : absl::StrCat(" (", image.file_name, ")"))
                   << ": " << s.message();
      continue;
    }
    const json& questions = data[i]["vqa"];
    for (size_t q = 0; q < questions.size(); ++q) {
      ++result.question_entries.seen;
      VqaQuestion question;
      if (absl::Status s = ParseQuestion(questions[q], result.answers.size(), &question); !s.ok()) {
        ++result.question_entries.skipped;
        LOG(WARNING) << path << ": skipping entry " << i << " (" << image.file_name
                     << ") question " << q << ": " << s.message();
        continue;
      }
      image.questions.push_back(std::move(question));
    }
    result.images.push_back(std::move(image));
  }
  return result;
}

absl::StatusOr<VqaAnnotations> ReadVqaAnnotations(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const json root, ReadJsonFile(path));
  return VqaAnnotationsFromJson(root, path);
}

json VqaAnnotationsToJson(const std::vector<VqaImage>& images, const AnswerVocab& answers) {
  json data = json::array();
  for (const VqaImage& image : images) {
    json questions = json::array();
    for (const VqaQuestion& q : image.questions) {
      json entry = {{"question", q.question}, {"question_id", q.question_id}};
      if (q.has_answers) {
        entry["labels"] = q.labels;
        entry["scores"] = q.scores;
      }
      questions.push_back(std::move(entry));
    }
    data.push_back({{"file_name", image.file_name},
                    {"image_id", image.image_id},
                    {"height", image.height},
                    {"width", image.width},
                    {"vqa", std::move(questions)}});
  }
  json ans2label = json::object();
  for (size_t i = 0; i < answers.label2ans.size(); ++i) ans2label[answers.label2ans[i]] = i;
  return {{"data", std::move(data)}, {"ans2label", std::move(ans2label)},
          {"label2ans", answers.label2ans}};
}

absl::Status WriteVqaAnnotations(const std::string& path, const std::vector<VqaImage>& images,
                                 const AnswerVocab& answers) {
  return WriteJsonFile(path, VqaAnnotationsToJson(images, answers));
}

}  // namespace soho::data
