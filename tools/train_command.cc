#include "tools/train_command.h"

#include <cstring>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/train/distributed_env.h"
#include "soho/train/distributed_run.h"
#include "soho/train/hooks.h"
#include "soho/train/pretrain_task.h"
#include "soho/train/runtime.h"
#include "soho/train/stop_signal.h"
#include "soho/train/trainer.h"
#include "soho/train/vqa_task.h"
#include "soho/cli/cli.h"

DEFINE_string(work_dir, "", "Where checkpoints, metrics.jsonl, TensorBoard events and the config go (replaces runtime.work_dir).");
DEFINE_string(resume, "",
              "Continue a run: a checkpoint path, or 'auto' (the work dir's latest.pt, else a fresh start); a bare "
              "--resume means auto. Replaces runtime.resume_from.");

namespace soho::tools {
namespace {

absl::StatusOr<std::unique_ptr<train::TrainTask>> MakeTask(const proto::SohoConfig& config, TrainKind kind,
                                                           const train::DistributedRun& run, c10::Device device) {
  // SyncBatchNorm for the neck when distributed and model.neck.sync_bn; else the local one.
  const model::BatchNormFn neck_batch_norm = run.neck_batch_norm(config);
  if (kind == TrainKind::kPretrain) {
    SOHO_ASSIGN_OR_RETURN(auto task, train::PretrainTask::Create(config, run.placement(device)));
    task->net()->neck->SetBatchNormFn(neck_batch_norm);
    return std::unique_ptr<train::TrainTask>(std::move(task));
  }
  SOHO_ASSIGN_OR_RETURN(auto task, train::VqaTask::Create(config, run.placement(device)));
  task->net()->neck->SetBatchNormFn(neck_batch_norm);
  return std::unique_ptr<train::TrainTask>(std::move(task));
}

absl::Status Train(proto::SohoConfig config, TrainKind kind) {
  // torchrun / tools/dist_train.sh / Slurm wrappers set these; without them: one process.
  SOHO_ASSIGN_OR_RETURN(const std::optional<train::DistributedEnv> env, train::ReadDistributedEnv());
  SOHO_ASSIGN_OR_RETURN(const c10::Device device, train::SetUpRuntime(config.runtime(), env ? env->rank : 0));
  SOHO_ASSIGN_OR_RETURN(const train::DistributedRun run, train::DistributedRun::Connect(env, config, device));
  config = run.ResumeAfterRestart(std::move(config));
  SOHO_ASSIGN_OR_RETURN(auto task, MakeTask(config, kind, run, device));
  SOHO_ASSIGN_OR_RETURN(train::TrainerOptions options, run.TrainerOptionsFor(task->model()));
  SOHO_ASSIGN_OR_RETURN(auto trainer, train::Trainer::Create(config, task.get(), std::move(options)));
  train::AddDefaultHooks(*trainer);
  SOHO_RETURN_IF_ERROR(trainer->Run());
  return run.Finish();
}

}  // namespace

void AcceptBareResumeFlag(int argc, char** argv) {
  static char kResumeAuto[] = "--resume=auto";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--resume") == 0 || std::strcmp(argv[i], "-resume") == 0) argv[i] = kResumeAuto;
  }
}

absl::StatusOr<proto::SohoConfig> LoadTrainingConfig(TrainKind kind, std::vector<std::string> tool_overrides) {
  if (FLAGS_resume != "auto") SOHO_RETURN_IF_ERROR(cli::CheckFlagFile("resume", FLAGS_resume));
  if (!FLAGS_work_dir.empty()) tool_overrides.push_back("runtime.work_dir=" + FLAGS_work_dir);
  if (!FLAGS_resume.empty()) tool_overrides.push_back("runtime.resume_from=" + FLAGS_resume);
  SOHO_ASSIGN_OR_RETURN(proto::SohoConfig config, cli::LoadConfigFromFlags(tool_overrides));
  // Both heads build and train, so the wrong tool would silently train the wrong model.
  const proto::HeadConfig::Kind wanted = kind == TrainKind::kVqa ? proto::HeadConfig::VQA : proto::HeadConfig::PRETRAIN;
  if (config.model().head().kind() != wanted) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model.head.kind is ", proto::HeadConfig::Kind_Name(config.model().head().kind()), ": this is a ",
        kind == TrainKind::kVqa ? "pre-training config; pre-train with `pretrain`, or give finetune_vqa a VQA config"
                                : "VQA config; fine-tune with `finetune_vqa`, or give pretrain a pre-training config",
        " (model.head.kind: ", proto::HeadConfig::Kind_Name(wanted), ")"));
  }
  return config;
}

absl::StatusOr<int> RunTraining(const proto::SohoConfig& config, TrainKind kind) {
  if (cli::DryRun()) return cli::PrintDryRun(config);
  const absl::Status status = Train(config, kind);
  if (absl::IsCancelled(status)) {
    LOG(WARNING) << status.message();
    return 128 + train::StopSignal();
  }
  if (!status.ok()) return status;
  return 0;
}

}  // namespace soho::tools
