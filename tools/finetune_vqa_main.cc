// soho finetune_vqa: fine-tunes a (pre-trained) SOHO model for visual question answering.
#include "gflags/gflags.h"
#include "tools/cli.h"
#include "tools/train_command.h"

DEFINE_string(init, "",
              "Weights to start from (replaces runtime.init_from), e.g. a pre-training latest.pt: the backbone, "
              "neck and transformer load, the VQA head starts fresh.");

int main(int argc, char** argv) {
  soho::cli::AcceptBareResumeFlag(argc, argv);
  soho::cli::Init(&argc, &argv,
                  "Fine-tunes SOHO on VQA from a run config, evaluating the VQA score on data.val.\n\n"
                  "  bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt "
                  "--init=work_dirs/tiny_pretrain/latest.pt\n"
                  "  # from scratch (no pre-training):\n"
                  "  bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt --set=runtime.init_from=[] "
                  "--work_dir=work_dirs/tiny_vqa_scratch\n"
                  "  # continue an interrupted run:\n"
                  "  bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt --resume");
  auto config = soho::cli::LoadConfigFromFlags();
  if (!config.ok()) return soho::cli::Report(config.status());
  if (!FLAGS_init.empty()) {
    config->mutable_runtime()->clear_init_from();
    config->mutable_runtime()->add_init_from(FLAGS_init);
  }
  return soho::cli::RunTraining(*std::move(config), soho::cli::TrainKind::kVqa);
}
