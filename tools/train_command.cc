#include "tools/train_command.h"

#include <cstring>
#include <exception>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/train/hooks.h"
#include "soho/train/pretrain_task.h"
#include "soho/train/runtime.h"
#include "soho/train/stop_signal.h"
#include "soho/train/trainer.h"
#include "soho/train/vqa_task.h"
#include "tools/cli.h"

DEFINE_string(work_dir, "", "Where checkpoints, metrics.jsonl, TensorBoard events and the config go (replaces runtime.work_dir).");
DEFINE_string(resume, "",
              "Continue a run: a checkpoint path, or 'auto' (the work dir's latest.pt, else a fresh start); a bare "
              "--resume means auto. Replaces runtime.resume_from.");

namespace soho::cli {
namespace {

absl::StatusOr<std::unique_ptr<train::TrainTask>> MakeTask(const proto::SohoConfig& config, TrainKind kind,
                                                           train::TaskPlacement placement) {
  if (kind == TrainKind::kPretrain) {
    SOHO_ASSIGN_OR_RETURN(auto task, train::PretrainTask::Create(config, placement));
    return std::unique_ptr<train::TrainTask>(std::move(task));
  }
  SOHO_ASSIGN_OR_RETURN(auto task, train::VqaTask::Create(config, placement));
  return std::unique_ptr<train::TrainTask>(std::move(task));
}

absl::Status Train(const proto::SohoConfig& config, TrainKind kind) {
  train::TaskPlacement placement;
  SOHO_ASSIGN_OR_RETURN(placement.device, train::SetUpRuntime(config.runtime()));
  SOHO_ASSIGN_OR_RETURN(auto task, MakeTask(config, kind, placement));
  SOHO_ASSIGN_OR_RETURN(auto trainer, train::Trainer::Create(config, task.get(), {}));
  train::AddDefaultHooks(*trainer);
  return trainer->Run();
}

}  // namespace

void AcceptBareResumeFlag(int argc, char** argv) {
  static char kResumeAuto[] = "--resume=auto";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--resume") == 0 || std::strcmp(argv[i], "-resume") == 0) argv[i] = kResumeAuto;
  }
}

absl::StatusOr<proto::SohoConfig> LoadTrainingConfig(std::vector<std::string> tool_overrides) {
  if (!FLAGS_work_dir.empty()) tool_overrides.push_back("runtime.work_dir=" + FLAGS_work_dir);
  if (!FLAGS_resume.empty()) tool_overrides.push_back("runtime.resume_from=" + FLAGS_resume);
  return LoadConfigFromFlags(tool_overrides);
}

int RunTraining(const proto::SohoConfig& config, TrainKind kind) {
  if (DryRun()) return PrintDryRun(config);
  absl::Status status;
  try {
    status = Train(config, kind);
  } catch (const std::exception& e) {  // a LibTorch check that a config slipped past
    status = absl::InternalError(absl::StrCat("training failed: ", e.what()));
  }
  if (absl::IsCancelled(status)) {
    LOG(WARNING) << status.message();
    return 128 + train::StopSignal();
  }
  return Report(status);
}

}  // namespace soho::cli
