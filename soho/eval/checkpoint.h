#pragma once
// Loading a checkpoint for evaluation: all or nothing. Scoring a model whose weights are
// partly random would report numbers about nothing, so unlike initialization (which
// expects missing keys) every tensor of the model must come from the file.
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "absl/status/statusor.h"
#include "soho/model/weights.h"

namespace soho::eval {

// LoadWeightsFile (our checkpoints, torch.save state_dicts, mmcv / official SOHO
// {"state_dict": ...} checkpoints) into `module`. Errors name the file: unreadable, nothing
// loaded (e.g. a pre-training checkpoint for a VQA config, which share only the backbone and
// transformer, fails on the missing head instead), any shape mismatch, any model tensor missing
// from the file. Missing BatchNorm `num_batches_tracked` counters are tolerated (older PyTorch
// checkpoints lack them; evaluation never reads them). Keys the model does not have are
// allowed (a pre-training checkpoint's dictionary in a VQA model), and counted in the report.
absl::StatusOr<model::LoadReport> LoadCheckpointForEval(torch::nn::Module& module, const std::string& path,
                                                        const std::vector<model::TiedWeight>& tied = {});

// One line: "<n> tensors loaded; <k> unused keys in the file (first: a, b, c)".
std::string SummarizeLoadReport(const model::LoadReport& report);

}  // namespace soho::eval
