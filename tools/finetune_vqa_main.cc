// soho finetune_vqa: fine-tunes a (pre-trained) SOHO model for visual question answering.
#include <string>
#include <vector>

#include "gflags/gflags.h"
#include "soho/common/status_macros.h"
#include "soho/cli/cli.h"
#include "tools/train_command.h"

DEFINE_string(init, "",
              "Weights to start from (replaces runtime.init_from), e.g. a pre-training latest.pt: the backbone, "
              "neck and transformer load, the VQA head starts fresh.");

int main(int argc, char** argv) {
  soho::tools::AcceptBareResumeFlag(argc, argv);
  soho::cli::Init(&argc, &argv,
                  "Fine-tunes SOHO on VQA from a run config, evaluating the VQA score on data.val.\n\n"
                  "  bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt "
                  "--init=work_dirs/tiny_pretrain/latest.pt\n"
                  "  # from scratch (no pre-training):\n"
                  "  bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt --set=runtime.init_from=[] "
                  "--work_dir=work_dirs/tiny_vqa_scratch\n"
                  "  # continue an interrupted run:\n"
                  "  bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt --resume");
  return soho::cli::RunMain([]() -> absl::StatusOr<int> {
    SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagFile("init", FLAGS_init));
    std::vector<std::string> overrides;
    if (!FLAGS_init.empty()) overrides.push_back("runtime.init_from=" + FLAGS_init);
    SOHO_ASSIGN_OR_RETURN(const auto config, soho::tools::LoadTrainingConfig(soho::tools::TrainKind::kVqa, overrides));
    return soho::tools::RunTraining(config, soho::tools::TrainKind::kVqa);
  });
}
