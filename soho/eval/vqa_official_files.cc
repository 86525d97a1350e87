#include "soho/eval/vqa_official_files.h"

#include <iterator>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_fields.h"
#include "soho/data/annotations/json_file.h"

namespace soho::eval {
namespace {

using data::GetField;
using nlohmann::json;

// "<path>: <list>[<i>]" or, once the id is read, "<path>: <list>[<i>] (question_id <id>)".
std::string Where(const std::string& path, const char* list, size_t i, const int64_t* question_id) {
  std::string where = absl::StrCat(path, ": ", list, "[", i, "]");
  if (question_id != nullptr) absl::StrAppend(&where, " (question_id ", *question_id, ")");
  return where;
}

absl::Status EntryError(const std::string& path, const char* list, size_t i, const int64_t* question_id,
                        const absl::Status& why) {
  return absl::InvalidArgumentError(absl::StrCat(Where(path, list, i, question_id), ": ", why.message()));
}

// Records `question_id` of entry `i`; an error names both entries when it was seen before.
absl::Status CheckUnique(absl::flat_hash_map<int64_t, size_t>* seen, int64_t question_id, size_t i,
                         const std::string& path, const char* list) {
  const auto [it, added] = seen->emplace(question_id, i);
  if (added) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(path, ": question_id ", question_id, " appears twice (", list,
                                                 "[", it->second, "] and [", i, "])"));
}

absl::Status ParseAnswers(const json& entry, std::vector<VqaGtAnswer>* answers) {
  const auto it = entry.find("answers");
  if (it == entry.end()) return absl::InvalidArgumentError("missing field 'answers'");
  if (!it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("field 'answers': expected list, got ", data::JsonTypeName(*it)));
  }
  if (it->empty()) return absl::InvalidArgumentError("field 'answers' is empty");
  for (size_t a = 0; a < it->size(); ++a) {
    const json& answer = (*it)[a];
    VqaGtAnswer parsed;
    if (absl::Status s = GetField(answer, "answer", &parsed.answer); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("answers[", a, "]: ", s.message()));
    }
    parsed.other_fields = answer;
    parsed.other_fields.erase("answer");
    answers->push_back(std::move(parsed));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<VqaOfficialQuestion>> ReadVqaQuestionsFile(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const json root, data::ReadJsonFile(path));
  SOHO_ASSIGN_OR_RETURN(const json* list, data::RequireListField(root, "questions", path));
  if (const auto task = root.find("task_type"); task != root.end() && *task != "Open-Ended") {
    return absl::InvalidArgumentError(absl::StrCat(path, ": task_type ", task->dump(),
                                                   ": only the Open-Ended task is scored"));
  }
  std::vector<VqaOfficialQuestion> questions;
  questions.reserve(list->size());
  absl::flat_hash_map<int64_t, size_t> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    VqaOfficialQuestion q;
    if (absl::Status s = GetField(entry, "question_id", &q.question_id); !s.ok()) {
      return EntryError(path, "questions", i, nullptr, s);
    }
    absl::Status s = GetField(entry, "image_id", &q.image_id);
    if (s.ok()) s = GetField(entry, "question", &q.question);
    if (!s.ok()) return EntryError(path, "questions", i, &q.question_id, s);
    SOHO_RETURN_IF_ERROR(CheckUnique(&seen, q.question_id, i, path, "questions"));
    questions.push_back(std::move(q));
  }
  return questions;
}

absl::StatusOr<std::vector<VqaGroundTruth>> ReadVqaAnnotationsFile(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const json root, data::ReadJsonFile(path));
  SOHO_ASSIGN_OR_RETURN(const json* list, data::RequireListField(root, "annotations", path));
  std::vector<VqaGroundTruth> annotations;
  annotations.reserve(list->size());
  absl::flat_hash_map<int64_t, size_t> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    VqaGroundTruth gt;
    if (absl::Status s = GetField(entry, "question_id", &gt.question_id); !s.ok()) {
      return EntryError(path, "annotations", i, nullptr, s);
    }
    absl::Status s = GetField(entry, "image_id", &gt.image_id);
    if (s.ok()) s = GetField(entry, "question_type", &gt.question_type);
    if (s.ok()) s = GetField(entry, "answer_type", &gt.answer_type);
    if (s.ok()) s = GetField(entry, "multiple_choice_answer", &gt.multiple_choice_answer);
    if (s.ok()) s = ParseAnswers(entry, &gt.answers);
    if (!s.ok()) return EntryError(path, "annotations", i, &gt.question_id, s);
    SOHO_RETURN_IF_ERROR(CheckUnique(&seen, gt.question_id, i, path, "annotations"));
    annotations.push_back(std::move(gt));
  }
  return annotations;
}

absl::StatusOr<std::vector<VqaResult>> ReadVqaResultsFile(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const json root, data::ReadJsonFile(path));
  SOHO_RETURN_IF_ERROR(data::RequireList(root, path));
  std::vector<VqaResult> results;
  results.reserve(root.size());
  absl::flat_hash_map<int64_t, size_t> seen;
  for (size_t i = 0; i < root.size(); ++i) {
    VqaResult r;
    if (absl::Status s = GetField(root[i], "question_id", &r.question_id); !s.ok()) {
      return EntryError(path, "results", i, nullptr, s);
    }
    if (absl::Status s = GetField(root[i], "answer", &r.answer); !s.ok()) {
      return EntryError(path, "results", i, &r.question_id, s);
    }
    SOHO_RETURN_IF_ERROR(CheckUnique(&seen, r.question_id, i, path, "results"));
    results.push_back(std::move(r));
  }
  return results;
}

absl::Status WriteVqaResultsFile(const std::string& path, const std::vector<VqaResult>& results) {
  json list = json::array();
  for (const VqaResult& r : results) list.push_back({{"question_id", r.question_id}, {"answer", r.answer}});
  return data::WriteJsonFile(path, list);
}

absl::StatusOr<std::vector<VqaGroundTruth>> ReadVqaGroundTruth(const std::string& questions_path,
                                                               const std::string& annotations_path) {
  SOHO_ASSIGN_OR_RETURN(const std::vector<VqaOfficialQuestion> questions, ReadVqaQuestionsFile(questions_path));
  SOHO_ASSIGN_OR_RETURN(std::vector<VqaGroundTruth> annotations, ReadVqaAnnotationsFile(annotations_path));
  absl::flat_hash_map<int64_t, int64_t> image_of;
  for (const VqaOfficialQuestion& q : questions) image_of[q.question_id] = q.image_id;
  for (const VqaGroundTruth& gt : annotations) {
    const auto it = image_of.find(gt.question_id);
    if (it == image_of.end()) {
      return absl::InvalidArgumentError(absl::StrCat(annotations_path, ": question_id ", gt.question_id,
                                                     " is not in ", questions_path, " (mismatched files?)"));
    }
    if (it->second != gt.image_id) {
      return absl::InvalidArgumentError(absl::StrCat(annotations_path, ": question_id ", gt.question_id,
                                                     " has image_id ", gt.image_id, " but ", questions_path,
                                                     " says ", it->second, " (mismatched files?)"));
    }
  }
  return annotations;
}

absl::StatusOr<std::optional<std::vector<VqaGroundTruth>>> ReadSplitGroundTruth(
    const google::protobuf::RepeatedPtrField<proto::DataSource>& sources) {
  int linked = 0;
  for (const proto::DataSource& source : sources) linked += source.official_annotations().empty() ? 0 : 1;
  if (linked == 0) return std::nullopt;
  std::vector<VqaGroundTruth> all;
  for (const proto::DataSource& source : sources) {
    if (source.official_annotations().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source.annotation(), ": has no official_questions/official_annotations while other sources of the split do; "
          "the official accuracy needs them for every source"));
    }
    SOHO_ASSIGN_OR_RETURN(std::vector<VqaGroundTruth> part,
                          ReadVqaGroundTruth(source.official_questions(), source.official_annotations()));
    all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return all;
}

}  // namespace soho::eval
