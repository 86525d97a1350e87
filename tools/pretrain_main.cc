// soho pretrain: masked language modelling + masked visual modelling + image-text matching.
#include "absl/status/status.h"
#include "tools/cli.h"

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv,
                  "Pre-trains SOHO (MLM + MVM + ITM) from a run config.\n\n"
                  "  bazel run //tools:pretrain -- --config=configs/tiny/pretrain.pbtxt\n"
                  "  bazel run //tools:pretrain -- --config=configs/pretrain/soho_res18_pre.pbtxt "
                  "--set=runtime.resume_from=work_dirs/soho_res18_pre/latest.pt");
  auto config = soho::cli::LoadConfigFromFlags();
  if (!config.ok()) return soho::cli::Report(config.status());
  if (soho::cli::DryRun()) return soho::cli::PrintDryRun(*config);
  return soho::cli::Report(absl::UnimplementedError(
      "pre-training is not implemented yet: the trainer has not landed (only --dry_run works)"));
}
