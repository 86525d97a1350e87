#include "soho/model/weights.h"

#include <functional>
#include <fstream>
#include <map>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"
#include "soho/model/safetensors.h"
#include "soho/model/torch_file.h"

namespace soho::model {
namespace {

std::string ShapeString(const at::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

}  // namespace

StateDict CollectStateDict(const torch::nn::Module& module, const std::vector<TiedWeight>& tied) {
  StateDict state;
  // Per module: its own parameters, then its buffers, then children (PyTorch's order).
  std::function<void(const torch::nn::Module&, const std::string&)> visit =
      [&](const torch::nn::Module& m, const std::string& prefix) {
        for (const auto& item : m.named_parameters(/*recurse=*/false)) {
          state.emplace_back(prefix + item.key(), item.value());
        }
        for (const auto& item : m.named_buffers(/*recurse=*/false)) {
          state.emplace_back(prefix + item.key(), item.value());
        }
        for (const auto& child : m.named_children()) {
          visit(*child.value(), prefix + child.key() + ".");
        }
      };
  visit(module, "");
  for (const TiedWeight& tie : tied) {
    for (const auto& [key, tensor] : state) {
      if (key == tie.target) {
        state.emplace_back(tie.alias, tensor);
        break;
      }
    }
  }
  return state;
}

WeightsFormat DetectWeightsFormat(const StateDict& state) {
  for (const auto& [key, tensor] : state) {
    if (key == "conv1.weight" || absl::StartsWith(key, "layer1.")) return WeightsFormat::kTorchvision;
    if (absl::StartsWith(key, "bert.")) return WeightsFormat::kHuggingFaceBert;
  }
  return WeightsFormat::kSoho;
}

StateDict MapToSohoKeys(const StateDict& state, WeightsFormat format) {
  StateDict mapped;
  for (const auto& [key, tensor] : state) {
    std::string name = key;
    switch (format) {
      case WeightsFormat::kSoho:
        break;
      case WeightsFormat::kTorchvision:
        name = "backbone." + name;
        break;
      case WeightsFormat::kHuggingFaceBert:
        // Old BERT checkpoints (TF conversions) call the LayerNorm affine gamma / beta.
        if (absl::EndsWith(name, ".gamma")) name = name.substr(0, name.size() - 6) + ".weight";
        if (absl::EndsWith(name, ".beta")) name = name.substr(0, name.size() - 5) + ".bias";
        if (absl::StartsWith(name, "bert.")) name = "language." + name;
        break;
    }
    mapped.emplace_back(std::move(name), tensor);
  }
  return mapped;
}

absl::StatusOr<StateDict> ReadStateDict(const std::string& path) {
  if (std::ifstream head(path, std::ios::binary); head) {
    char bytes[9] = {};
    head.read(bytes, sizeof(bytes));
    if (LooksLikeSafetensors(absl::string_view(bytes, static_cast<size_t>(head.gcount())))) {
      SOHO_ASSIGN_OR_RETURN(StateDict state, ReadSafetensors(path));
      if (state.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " holds no tensors"));
      return state;
    }
  }
  SOHO_ASSIGN_OR_RETURN(c10::IValue root, ReadTorchFile(path));
  if (!root.isGenericDict()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " does not hold a dict"));
  }
  c10::impl::GenericDict dict = root.toGenericDict();
  for (const auto& entry : dict) {
    if (entry.key().isString() && entry.key().toStringRef() == "state_dict" &&
        entry.value().isGenericDict()) {
      dict = entry.value().toGenericDict();
      break;
    }
  }
  StateDict state;
  for (const auto& entry : dict) {
    if (!entry.key().isString() || !entry.value().isTensor()) continue;
    state.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  if (state.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no named tensors"));
  }
  return state;
}

absl::Status SaveStateDict(const StateDict& state, const std::string& path) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [key, tensor] : state) dict.insert(key, tensor.detach().cpu());
  const std::vector<char> bytes = torch::jit::pickle_save(dict);
  return WriteFileAtomically(path, absl::string_view(bytes.data(), bytes.size()));
}

std::string LoadReport::ToString() const {
  std::string text = absl::StrCat("loaded ", loaded.size(), " tensors");
  auto add = [&](const char* what, const std::vector<std::string>& keys) {
    if (!keys.empty()) absl::StrAppend(&text, "; ", what, " (", keys.size(), "): ", absl::StrJoin(keys, ", "));
  };
  add("missing", missing);
  add("unexpected", unexpected);
  add("shape mismatched", shape_mismatched);
  return text;
}

LoadReport LoadStateDict(torch::nn::Module& module, const StateDict& state,
                         const std::vector<TiedWeight>& tied) {
  std::map<std::string, at::Tensor> targets;
  for (const auto& [key, tensor] : CollectStateDict(module)) targets[key] = tensor;
  std::map<std::string, std::string> alias_to_target;
  for (const TiedWeight& tie : tied) alias_to_target[tie.alias] = tie.target;
  std::map<std::string, bool> in_file;
  for (const auto& [key, tensor] : state) in_file[key] = true;

  LoadReport report;
  std::map<std::string, bool> filled;
  at::NoGradGuard no_grad;
  for (const auto& [file_key, tensor] : state) {
    std::string key = file_key;
    if (auto alias = alias_to_target.find(key); alias != alias_to_target.end()) {
      if (in_file.count(alias->second)) continue;  // the duplicate of a key loaded anyway
      key = alias->second;
    }
    auto target = targets.find(key);
    if (target == targets.end()) {
      report.unexpected.push_back(file_key);
      continue;
    }
    if (!target->second.sizes().equals(tensor.sizes())) {
      report.shape_mismatched.push_back(absl::StrCat(file_key, ": file ", ShapeString(tensor),
                                                     " vs model ", ShapeString(target->second)));
      filled[key] = true;  // reported once, not again as missing
      continue;
    }
    target->second.copy_(tensor);
    report.loaded.push_back(file_key);
    filled[key] = true;
  }
  for (const auto& [key, tensor] : targets) {
    if (!filled.count(key)) report.missing.push_back(key);
  }
  return report;
}

absl::StatusOr<LoadReport> LoadWeightsFile(torch::nn::Module& module, const std::string& path,
                                           const std::vector<TiedWeight>& tied) {
  SOHO_ASSIGN_OR_RETURN(StateDict state, ReadStateDict(path));
  return LoadStateDict(module, MapToSohoKeys(state, DetectWeightsFormat(state)), tied);
}

}  // namespace soho::model
