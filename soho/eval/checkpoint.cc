#include "soho/eval/checkpoint.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soho/common/status_macros.h"

namespace soho::eval {
namespace {

// "k (first: a, b, c)": long lists are cut, the count says how long they were.
std::string Listed(const std::vector<std::string>& keys) {
  constexpr size_t kShown = 5;
  const std::vector<std::string> shown(keys.begin(), keys.begin() + std::min(keys.size(), kShown));
  return absl::StrCat(keys.size(), keys.size() > kShown ? " (first: " : " (", absl::StrJoin(shown, ", "), ")");
}

}  // namespace

std::string SummarizeLoadReport(const model::LoadReport& report) {
  std::string text = absl::StrCat(report.loaded.size(), " tensors loaded");
  if (!report.missing.empty()) absl::StrAppend(&text, "; missing ", Listed(report.missing));
  if (!report.unexpected.empty()) absl::StrAppend(&text, "; unused keys in the file ", Listed(report.unexpected));
  if (!report.shape_mismatched.empty()) {
    absl::StrAppend(&text, "; shape mismatched ", Listed(report.shape_mismatched));
  }
  return text;
}

absl::StatusOr<model::LoadReport> LoadCheckpointForEval(torch::nn::Module& module, const std::string& path,
                                                        const std::vector<model::TiedWeight>& tied) {
  SOHO_ASSIGN_OR_RETURN(model::LoadReport report, model::LoadWeightsFile(module, path, tied));
  std::vector<std::string> missing;
  for (const std::string& key : report.missing) {
    if (!absl::EndsWith(key, ".num_batches_tracked")) missing.push_back(key);
  }
  if (report.loaded.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no tensor of the file fits the model (", SummarizeLoadReport(report),
        "); is it a checkpoint of this config's model?"));
  }
  if (!report.shape_mismatched.empty() || !missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": does not fit the model of the config (", SummarizeLoadReport(report),
        "); evaluation needs every weight: check that --config describes the model this checkpoint was trained as "
        "(head kind, num_answers, vocab_size, sizes)"));
  }
  return report;
}

}  // namespace soho::eval
