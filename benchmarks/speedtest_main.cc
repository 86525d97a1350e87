// speedtest: SOHO vs a region-based (Faster R-CNN features) VQA pipeline, side by side.
#include <iostream>

#include "absl/status/status.h"
#include "gflags/gflags.h"
#include "tools/cli.h"

DEFINE_int32(depth, 101, "ResNet depth of both pipelines (the paper's setting: 101).");
DEFINE_int32(layers, 12, "Transformer layers of both pipelines (the paper's setting: 12).");
DEFINE_double(min_ratio, 10.0, "Exit non-zero when SOHO's speed-up is below this.");

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv,
                  "Checks the '10x faster than region-based models' claim, side by side in one run.\n\n"
                  "  bazel run //benchmarks:speedtest -- --depth=101 --layers=12");
  if (soho::cli::DryRun()) {
    std::cout << "depth: " << FLAGS_depth << "\nlayers: " << FLAGS_layers << "\nmin_ratio: " << FLAGS_min_ratio
              << "\n";
    return 0;
  }
  return soho::cli::Report(absl::UnimplementedError(
      "speedtest is not implemented yet: the model and region pipeline have not landed"));
}
