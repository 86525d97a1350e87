// soho prepare: builds the project's data formats (synthetic world, COCO, VG, VQA v2, vocab).
#include <iostream>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "tools/cli.h"

DEFINE_string(out, "", "Output folder (or file, for 'vocab').");

namespace {

constexpr char kUsage[] =
    "Builds training data in the project's formats (bazel run //tools:prepare -- MODE ...).\n\n"
    "  prepare synthetic --out=data/synthetic [--num_images=N --seed=S]   the embedded default world\n"
    "  prepare coco      --captions=captions_train2014.json --out=...      COCO captions -> pre-training\n"
    "  prepare vg        --regions=region_descriptions.json --image_data=image_data.json --out=...\n"
    "  prepare vqa       --questions=... --annotations=... --out=...       VQA v2 -> VQA annotations\n"
    "  prepare vocab     --corpus=a.json,b.json --out=vocab.txt           learn a WordPiece vocabulary";

}  // namespace

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv, kUsage);
  const std::set<std::string> modes = {"synthetic", "coco", "vg", "vqa", "vocab"};
  if (argc < 2 || !modes.count(argv[1])) {
    return soho::cli::Report(absl::InvalidArgumentError(
        absl::StrCat("expected a mode (synthetic, coco, vg, vqa, vocab)",
                     argc >= 2 ? absl::StrCat(", got '", argv[1], "'") : std::string(), "; see --help")));
  }
  if (soho::cli::DryRun()) {
    std::cout << "prepare " << argv[1] << " --out=" << FLAGS_out << "\n";
    return 0;
  }
  return soho::cli::Report(absl::UnimplementedError(
      absl::StrCat("prepare ", argv[1], " is not implemented yet: the data pipeline has not landed")));
}
