#pragma once
// VQA v2 (v2_OpenEnded_mscoco_<split>_questions.json + v2_mscoco_<split>_annotations.json)
// -> the project's VQA annotation format, with the answer vocabulary and soft scores.
//   questions:   {"data_subtype": "train2014", "questions": [{"image_id", "question", "question_id"}]}
//   annotations: {"annotations": [{"question_id", "image_id", "multiple_choice_answer",
//                                  "answers": [{"answer", "answer_confidence", "answer_id"}]}]}
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/prepare/coco_captions.h"
#include "soho/data/prepare/conversion_summary.h"

namespace soho::data {

// Soft score of an answer given by `n` of the (10) annotators: min(1, 0.3 n), as the exact
// decimals 0, 0.3, 0.6, 0.9, 1.
double VqaSoftScore(int n);

// Counts the normalized multiple_choice_answer of every question in the annotation files
// (`paths` only name them in messages), keeps answers seen >= min_count times, ordered by
// count (descending) then text. This is the standard procedure that gives 3129 answers on
// VQA v2 train+val with min_count 9.
class AnswerVocabBuilder {
 public:
  explicit AnswerVocabBuilder(int min_count) : min_count_(min_count) {}
  absl::Status Add(const nlohmann::json& annotations, const std::string& path,
                   ConversionSummary* summary);
  AnswerVocab Build() const;

 private:
  int min_count_;
  absl::flat_hash_map<std::string, int64_t> counts_;
};

struct VqaV2Input {
  const nlohmann::json* questions = nullptr;
  std::string questions_path;
  // Null for test splits: questions keep their ids and carry no labels.
  const nlohmann::json* annotations = nullptr;
  std::string annotations_path;
};

struct VqaV2Options {
  // file_name = <prefix><data_subtype>_<12-digit image id>.jpg ("COCO_train2014_...jpg").
  std::string image_prefix = "COCO_";
  // Sizes by image id (e.g. from ReadCocoImageSizes); images not found get 0x0 (unknown).
  const ImageSizes* image_sizes = nullptr;
};

// Images in order of their first question. Each question's labels are the vocabulary answers
// among its 10 normalized annotator answers, by id, with VqaSoftScore(count); a question
// none of whose answers is in the vocabulary keeps empty labels (counted). Skipped and
// counted: malformed question/annotation entries, annotations of unknown questions, questions
// without annotation. Errors (whole file): wrong layout or missing "data_subtype".
absl::StatusOr<std::vector<VqaImage>> ConvertVqaV2(const VqaV2Input& input,
                                                   const AnswerVocab& answers,
                                                   const VqaV2Options& options,
                                                   ConversionSummary* summary);

// "<prefix><subtype>_<12-digit id>.jpg".
std::string VqaImageFileName(const std::string& prefix, const std::string& data_subtype,
                             int64_t image_id);

}  // namespace soho::data
