#pragma once
// SOHO's losses and metrics (docs/design.md §1), on logits and integer / soft targets.
// All of them stay on the device: no host synchronization.
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace soho::losses {

// Label of positions that take no part in a loss or metric (PyTorch's default ignore_index).
constexpr int64_t kIgnoreIndex = -100;

// Cross-entropy summed over positions whose label is not kIgnoreIndex, divided by
// (their count + 1e-6): MLM and MVM. logits [M, C], labels [M] int64. 0 when nothing counts.
at::Tensor MaskedCrossEntropy(const at::Tensor& logits, const at::Tensor& labels);

// Cross-entropy averaged over rows whose label is not kIgnoreIndex (torch's mean reduction),
// but 0 rather than 0/0 when none counts: ITM, whose language-only rows (data.itm_row_prob)
// carry no label. logits [N, 2], labels [N] int64.
at::Tensor MeanCrossEntropy(const at::Tensor& logits, const at::Tensor& labels);

// Percentage (0..100) of arg-max predictions equal to the label, over positions whose label
// is not kIgnoreIndex; 0 when there are none. logits [M, C], labels [M].
at::Tensor MaskedAccuracy(const at::Tensor& logits, const at::Tensor& labels);

// Binary cross-entropy with logits, averaged over all entries, times the number of answers
// (the reference's VQA loss). logits, soft_targets [B, A].
at::Tensor VqaBceLoss(const at::Tensor& logits, const at::Tensor& soft_targets);

// VQA soft score per sample: the target score of the arg-max answer. -> [B]
at::Tensor VqaSoftScore(const at::Tensor& logits, const at::Tensor& soft_targets);

}  // namespace soho::losses
