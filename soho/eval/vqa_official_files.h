#pragma once
// The official VQA file layouts (visualqa.org, GT-Vision-Lab/VQA), read strictly and written
// exactly:
//   questions:   {"task_type": "Open-Ended", "questions": [{"question_id", "image_id", "question"}], ...}
//   annotations: {"annotations": [{"question_id", "image_id", "question_type", "answer_type",
//                                  "multiple_choice_answer",
//                                  "answers": [{"answer", "answer_confidence", "answer_id"}]}], ...}
//   results:     [{"question_id": int, "answer": str}]   (the evaluation server's submission)
// Unlike the dataset readers, nothing is skipped: a score over silently dropped questions
// would not be the official number. Every error names the file, the entry and, once it is
// known, the question id.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/eval/vqa_accuracy.h"
#include "soho/proto/config.pb.h"

namespace soho::eval {

struct VqaOfficialQuestion {
  int64_t question_id = 0;
  int64_t image_id = 0;
  std::string question;
};

// Errors: not an object with a "questions" list, a malformed entry, a repeated question id,
// a "task_type" other than "Open-Ended" (multiple-choice results are not scored here).
absl::StatusOr<std::vector<VqaOfficialQuestion>> ReadVqaQuestionsFile(const std::string& path);

// Errors: not an object with an "annotations" list, a malformed entry or answer, an entry
// without answers, a repeated question id.
absl::StatusOr<std::vector<VqaGroundTruth>> ReadVqaAnnotationsFile(const std::string& path);

// Errors: not a list, a malformed entry, a repeated question id.
absl::StatusOr<std::vector<VqaResult>> ReadVqaResultsFile(const std::string& path);

// Writes the submission list (question ids and answers in the given order), atomically.
absl::Status WriteVqaResultsFile(const std::string& path, const std::vector<VqaResult>& results);

// A matched pair of official files: the annotations, after checking that each annotated
// question is in the questions file with the same image id (a mismatched pair is an error
// naming both files and the question id).
absl::StatusOr<std::vector<VqaGroundTruth>> ReadVqaGroundTruth(const std::string& questions_path,
                                                               const std::string& annotations_path);

// The official ground truth of a config split: the (official_questions,
// official_annotations) pairs of its sources, read with ReadVqaGroundTruth and concatenated.
// std::nullopt when no source names them; an error when only some do (a partial ground
// truth would make every question of the others count as "missing").
absl::StatusOr<std::optional<std::vector<VqaGroundTruth>>> ReadSplitGroundTruth(
    const google::protobuf::RepeatedPtrField<proto::DataSource>& sources);

}  // namespace soho::eval
