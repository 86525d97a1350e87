// soho eval: evaluates a checkpoint (VQA score on val, or a prediction file for test).
#include "absl/status/status.h"
#include "gflags/gflags.h"
#include "tools/cli.h"

DEFINE_string(checkpoint, "", "Checkpoint to evaluate (ours or an official SOHO state_dict).");
DEFINE_string(split, "val", "Which data split of the config to run: val (scored) or test (predictions only).");
DEFINE_string(output, "", "Where to write predictions (JSON, VQA submission format); default <work_dir>/<split>_predictions.json.");

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv,
                  "Evaluates a SOHO checkpoint.\n\n"
                  "  bazel run //tools:eval -- --config=configs/tiny/vqa.pbtxt "
                  "--checkpoint=work_dirs/tiny_vqa/latest.pt --split=val");
  auto config = soho::cli::LoadConfigFromFlags();
  if (!config.ok()) return soho::cli::Report(config.status());
  if (FLAGS_split != "val" && FLAGS_split != "test") {
    return soho::cli::Report(absl::InvalidArgumentError("--split must be val or test (got " + FLAGS_split + ")"));
  }
  if (soho::cli::DryRun()) return soho::cli::PrintDryRun(*config);
  return soho::cli::Report(absl::UnimplementedError(
      "evaluation is not implemented yet: the model and evaluator have not landed (only --dry_run works)"));
}
