#pragma once
// What the VQA model answers, per question: the top-k answers with probabilities. The first
// one is the answer that goes into the official results file; the top-k list goes into a
// separate file of our own, so the submission stays exactly in the official layout.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "soho/eval/vqa_accuracy.h"

namespace soho::eval {

struct AnswerScore {
  std::string answer;
  int label = 0;  // index in the answer vocabulary (label2ans)
  // sigmoid(logit): the VQA head is trained with binary cross-entropy per answer, so each
  // answer's probability is independent (they do not sum to 1 over the vocabulary).
  double probability = 0;
};

struct VqaPrediction {
  int64_t question_id = 0;
  std::vector<AnswerScore> top;  // best first; never empty
};

// The submission: each question's best answer, in the predictions' order.
std::vector<VqaResult> ToVqaResults(const std::vector<VqaPrediction>& predictions);

// [{"question_id": int, "answers": [{"answer": str, "probability": float}, ...]}], atomically.
absl::Status WriteVqaTopKFile(const std::string& path, const std::vector<VqaPrediction>& predictions);

}  // namespace soho::eval
