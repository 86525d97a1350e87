// soho finetune_vqa: fine-tunes a (pre-trained) SOHO model for visual question answering.
#include "absl/status/status.h"
#include "gflags/gflags.h"
#include "tools/cli.h"

DEFINE_string(init, "", "Checkpoint to start from (replaces runtime.init_from), e.g. a pre-training latest.pt.");

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv,
                  "Fine-tunes SOHO on VQA from a run config.\n\n"
                  "  bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt "
                  "--init=work_dirs/tiny_pretrain/latest.pt");
  auto config = soho::cli::LoadConfigFromFlags();
  if (!config.ok()) return soho::cli::Report(config.status());
  if (!FLAGS_init.empty()) {
    config->mutable_runtime()->clear_init_from();
    config->mutable_runtime()->add_init_from(FLAGS_init);
  }
  if (soho::cli::DryRun()) return soho::cli::PrintDryRun(*config);
  return soho::cli::Report(absl::UnimplementedError(
      "VQA fine-tuning is not implemented yet: the trainer has not landed (only --dry_run works)"));
}
