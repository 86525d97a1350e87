#pragma once
// What `pretrain` and `finetune_vqa` share after their config is loaded: the --work_dir and
// --resume flags, joining a distributed run when a launcher (torchrun, tools/dist_train.sh,
// Slurm) set RANK/WORLD_SIZE/..., the runtime (threads, seed, device), the task, the trainer with its
// standard hooks, and the exit code (0 done, 1 error, 128 + signal when SIGINT/SIGTERM
// stopped the run after writing a checkpoint).
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/proto/config.pb.h"

namespace soho::tools {

enum class TrainKind { kPretrain, kVqa };

// Rewrites a bare `--resume` into `--resume=auto`; call before cli::Init.
void AcceptBareResumeFlag(int argc, char** argv);

// --config with --set, then --work_dir / --resume and `tool_overrides`, validated together.
// A config for the other tool (a VQA head given to pretrain, a pre-training head to
// finetune_vqa) is refused, as is a --resume file that does not exist, even with --dry_run.
absl::StatusOr<proto::SohoConfig> LoadTrainingConfig(TrainKind kind, std::vector<std::string> tool_overrides = {});

// Trains the config (or prints it with --dry_run); returns the exit code (0, or 128 +
// signal when SIGINT/SIGTERM stopped the run) or the error. Call inside cli::RunMain.
absl::StatusOr<int> RunTraining(const proto::SohoConfig& config, TrainKind kind);

}  // namespace soho::tools
