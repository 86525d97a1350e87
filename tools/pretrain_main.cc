// soho pretrain: masked language modelling + masked visual modelling + image-text matching.
#include "soho/common/status_macros.h"
#include "soho/cli/cli.h"
#include "tools/train_command.h"

int main(int argc, char** argv) {
  soho::tools::AcceptBareResumeFlag(argc, argv);
  soho::cli::Init(&argc, &argv,
                  "Pre-trains SOHO (MLM + MVM + ITM) from a run config.\n\n"
                  "  # the tiny config on the synthetic world (bazel run //tools:prepare -- synthetic first):\n"
                  "  bazel run //tools:pretrain -- --config=configs/tiny/pretrain.pbtxt\n"
                  "  # continue an interrupted run where it stopped:\n"
                  "  bazel run //tools:pretrain -- --config=configs/tiny/pretrain.pbtxt --resume\n"
                  "  # the released res18 setting, with overrides:\n"
                  "  bazel run //tools:pretrain -- --config=configs/pretrain/soho_res18_pre.pbtxt "
                  "--work_dir=work_dirs/res18 --set=runtime.precision=BF16,data.batch_size=4\n\n"
                  "Writes <work_dir>/epoch_N.pt, iter_N.pt, latest.pt, metrics.jsonl, tf_logs/ (TensorBoard) and "
                  "config.pbtxt. SIGINT/SIGTERM save a checkpoint and exit.");
  return soho::cli::RunMain([]() -> absl::StatusOr<int> {
    SOHO_ASSIGN_OR_RETURN(const auto config, soho::tools::LoadTrainingConfig(soho::tools::TrainKind::kPretrain));
    return soho::tools::RunTraining(config, soho::tools::TrainKind::kPretrain);
  });
}
