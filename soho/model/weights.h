#pragma once
// state_dicts: collecting a module's parameters and buffers under the reference's keys,
// reading / writing them in PyTorch's format (torch.save / torch.load compatible), mapping
// torchvision, Hugging Face BERT and official SOHO checkpoints, and loading with a report.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/model/tied_weight.h"

namespace soho::model {

// Ordered (key, tensor) pairs, like PyTorch's OrderedDict state_dict.
using StateDict = std::vector<std::pair<std::string, at::Tensor>>;

// Parameters then buffers of every submodule in registration order, with each tied alias
// inserted after its target (as PyTorch's state_dict lists both names).
StateDict CollectStateDict(const torch::nn::Module& module,
                           const std::vector<TiedWeight>& tied = {});

// Where a state_dict comes from; decides how its keys map onto ours.
enum class WeightsFormat {
  kSoho,         // our keys (our checkpoints; an official SOHO checkpoint's "state_dict")
  kTorchvision,  // torchvision ResNet: "conv1.weight", "layer1.0..." -> "backbone." prefix
  kHuggingFaceBert,  // "bert.*" -> "language.bert.*", LayerNorm gamma/beta -> weight/bias
};
// Guesses the format from the keys (torchvision stem / "bert." prefix / otherwise ours).
WeightsFormat DetectWeightsFormat(const StateDict& state);
StateDict MapToSohoKeys(const StateDict& state, WeightsFormat format);

// Reads a file written by Python's torch.save (zip or legacy format), by SaveStateDict, or a
// .safetensors file (recognized by its header, whatever its name).
// A dict whose "state_dict" entry is a dict (mmcv / official SOHO checkpoints) yields that
// entry; non-tensor entries are skipped.
absl::StatusOr<StateDict> ReadStateDict(const std::string& path);
// Writes a {key: tensor} dict loadable by torch.load, via a temporary file renamed into
// place (a crash never leaves a truncated file under `path`). Tensors are saved from CPU.
absl::Status SaveStateDict(const StateDict& state, const std::string& path);

struct LoadReport {
  std::vector<std::string> loaded;
  std::vector<std::string> missing;     // in the module, not in the file
  std::vector<std::string> unexpected;  // in the file, not in the module
  std::vector<std::string> shape_mismatched;  // "key: file [..] vs model [..]" (not loaded)
  bool complete() const { return missing.empty() && unexpected.empty() && shape_mismatched.empty(); }
  std::string ToString() const;
};

// Copies matching tensors into the module (converting dtype / device as needed); a tied
// alias fills its target when the target itself is absent, and is otherwise accepted as
// the duplicate it is.
LoadReport LoadStateDict(torch::nn::Module& module, const StateDict& state,
                         const std::vector<TiedWeight>& tied = {});

// ReadStateDict + MapToSohoKeys(DetectWeightsFormat) + LoadStateDict.
absl::StatusOr<LoadReport> LoadWeightsFile(torch::nn::Module& module, const std::string& path,
                                           const std::vector<TiedWeight>& tied = {});

}  // namespace soho::model
