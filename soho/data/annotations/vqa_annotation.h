#pragma once
// The project's VQA annotation format (docs/design.md §2):
//   {"data": [{"file_name", "image_id", "height", "width",
//              "vqa": [{"question", "question_id", "labels": [answer ids], "scores": [soft]}]}],
//    "ans2label": {answer: id}, "label2ans": [answer, ...]}
// Test splits carry questions without "labels"/"scores".
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "soho/data/annotations/entry_count.h"

namespace soho::data {

struct VqaQuestion {
  std::string question;
  int64_t question_id = 0;
  // Answer ids (indices into label2ans) with their soft scores in (0, 1]; same length.
  // Both empty for test questions, and for training questions none of whose answers made the
  // answer vocabulary.
  std::vector<int> labels;
  std::vector<double> scores;
  // False for test questions (no "labels" in the file): there is no ground truth at all.
  bool has_answers = true;
};

struct VqaImage {
  std::string file_name;
  int64_t image_id = 0;
  int height = 0;  // pixels; 0 = unknown
  int width = 0;
  std::vector<VqaQuestion> questions;
};

// The answer vocabulary: label2ans[id] is the answer text; ans2label its inverse.
struct AnswerVocab {
  std::vector<std::string> label2ans;
  absl::flat_hash_map<std::string, int> ans2label;

  int size() const { return static_cast<int>(label2ans.size()); }
  // Builds ans2label from label2ans; error on a duplicate answer.
  static absl::StatusOr<AnswerVocab> FromList(std::vector<std::string> label2ans);
};

struct VqaAnnotations {
  std::vector<VqaImage> images;
  AnswerVocab answers;
  EntryCount image_entries;     // entries of "data"
  EntryCount question_entries;  // entries of the "vqa" lists (of images that were kept)
};

// Reads a VQA annotation file. Errors (whole file): bad JSON (with line/column), missing or
// inconsistent "ans2label"/"label2ans". Skipped with a warning and counted: an image entry with
// a missing/mistyped field (and all its questions), a question with a missing/mistyped field,
// labels out of range, or labels/scores of different lengths.
absl::StatusOr<VqaAnnotations> ReadVqaAnnotations(const std::string& path);

// Same, from parsed JSON; `path` only names the source in messages.
absl::StatusOr<VqaAnnotations> VqaAnnotationsFromJson(const nlohmann::json& root,
                                                      const std::string& path);

// Test questions (has_answers == false) are written without "labels"/"scores".
nlohmann::json VqaAnnotationsToJson(const std::vector<VqaImage>& images,
                                    const AnswerVocab& answers);

// Writes atomically (temporary file + rename).
absl::Status WriteVqaAnnotations(const std::string& path, const std::vector<VqaImage>& images,
                                 const AnswerVocab& answers);

}  // namespace soho::data
