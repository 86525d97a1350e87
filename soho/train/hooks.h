#pragma once
// The standard TrainHooks of a run, configured by runtime.*:
//   LoggerHook:     every runtime.log_interval iterations one console line (losses and
//                   accuracies averaged over the interval, lr, grad norm, data vs step time,
//                   images/s, memory, ETA), the same numbers in metrics.jsonl and TensorBoard;
//                   a live progress bar when stderr is a terminal; the resolved config
//                   copied to work_dir/config.pbtxt.
//   CheckpointHook: epoch_N.pt every runtime.checkpoint_interval_epochs, iter_N.pt every
//                   runtime.checkpoint_interval_iters, one at the end (and on SIGINT/SIGTERM),
//                   latest.pt pointing at the newest, runtime.keep_checkpoints kept.
//   EvalHook:       TrainTask::Evaluate every runtime.eval_interval_epochs and at the end.
// Only rank 0 logs and writes files; every rank evaluates its share.
#include <memory>
#include <vector>

#include "soho/train/trainer.h"

namespace soho::train {

std::vector<std::unique_ptr<TrainHook>> DefaultHooks(Trainer& trainer);
inline void AddDefaultHooks(Trainer& trainer) {
  for (auto& hook : DefaultHooks(trainer)) trainer.AddHook(std::move(hook));
}

}  // namespace soho::train
