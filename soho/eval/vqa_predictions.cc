#include "soho/eval/vqa_predictions.h"

#include "nlohmann/json.hpp"
#include "soho/data/annotations/json_file.h"

namespace soho::eval {

std::vector<VqaResult> ToVqaResults(const std::vector<VqaPrediction>& predictions) {
  std::vector<VqaResult> results;
  results.reserve(predictions.size());
  for (const VqaPrediction& p : predictions) results.push_back({p.question_id, p.top.at(0).answer});
  return results;
}

absl::Status WriteVqaTopKFile(const std::string& path, const std::vector<VqaPrediction>& predictions) {
  nlohmann::json list = nlohmann::json::array();
  for (const VqaPrediction& p : predictions) {
    nlohmann::json answers = nlohmann::json::array();
    for (const AnswerScore& a : p.top) answers.push_back({{"answer", a.answer}, {"probability", a.probability}});
    list.push_back({{"question_id", p.question_id}, {"answers", std::move(answers)}});
  }
  return data::WriteJsonFile(path, list);
}

}  // namespace soho::eval
