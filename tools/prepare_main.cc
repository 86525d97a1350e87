// soho prepare: builds the project's data formats (synthetic world, COCO, VG, VQA v2, vocab).
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gflags/gflags.h"
#include "soho/common/progress.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/prepare/coco_captions.h"
#include "soho/data/prepare/conversion_summary.h"
#include "soho/data/prepare/synthetic_world.h"
#include "soho/data/prepare/text_corpus.h"
#include "soho/data/prepare/visual_genome.h"
#include "soho/data/prepare/vqa_v2.h"
#include "soho/data/text/wordpiece_trainer.h"
#include "soho/cli/cli.h"

DEFINE_string(out, "", "Output: a folder for 'synthetic', a .json file for coco/vg/vqa, vocab.txt for 'vocab'.");
// synthetic
DEFINE_int32(num_images, 2000, "synthetic: training images (val and test get --num_eval_images each).");
DEFINE_int32(num_eval_images, -1, "synthetic: images in val and in test; -1 = max(1, num_images/10).");
DEFINE_uint64(seed, 0, "synthetic: random seed; the output is a function of it (and the sizes) only.");
DEFINE_int32(captions_per_image, 6, "synthetic: captions per image (>= 5).");
DEFINE_int32(questions_per_image, 6, "synthetic: VQA questions per image.");
DEFINE_int32(max_objects, 4, "synthetic: objects per scene are 1..max_objects (at most 4).");
DEFINE_int32(threads, 0, "synthetic: rendering threads (0 = all cores); does not change the output.");
// coco / vg
DEFINE_string(captions, "", "coco: a COCO captions file (captions_train2014.json).");
DEFINE_string(regions, "", "vg: Visual Genome region_descriptions.json.");
DEFINE_string(image_data, "", "vg: Visual Genome image_data.json.");
// vqa
DEFINE_string(questions, "", "vqa: v2_OpenEnded_mscoco_<split>_questions.json.");
DEFINE_string(annotations, "", "vqa: v2_mscoco_<split>_annotations.json; omit for test splits (no labels).");
DEFINE_string(answer_vocab, "",
              "vqa: take the answer vocabulary from this existing VQA annotation file (e.g. the converted "
              "training split, so val/test share its answer ids) instead of learning it.");
DEFINE_string(answer_annotations, "",
              "vqa: comma-separated annotation files to learn the answer vocabulary from "
              "(default: --annotations), e.g. train and val for the 3129-answer vocabulary.");
DEFINE_int32(min_answer_count, -1,
             "vqa/synthetic: keep answers seen at least this often (-1: 9 for vqa, 1 for synthetic).");
DEFINE_string(image_info, "",
              "vqa: comma-separated COCO files with an \"images\" list (captions_*.json, instances_*.json, "
              "image_info_test2015.json) giving image sizes; without it sizes are 0 (unknown).");
DEFINE_string(image_prefix, "COCO_", "vqa: image file names are <prefix><data_subtype>_<12-digit id>.jpg.");
// vocab
DEFINE_string(corpus, "",
              "vocab: comma-separated corpus files (.txt lines, pre-training/VQA annotations, VQA v2 "
              "questions, COCO captions).");
DEFINE_int32(vocab_size, -1, "vocab/synthetic: maximum vocab.txt entries (-1: 30522 for vocab, 512 for synthetic).");
DEFINE_int32(min_word_count, 1, "vocab: whole words seen fewer times are left to character pieces.");
DEFINE_double(max_skipped_fraction, 0.5,
              "coco/vg/vqa: fail, writing nothing, when more than this fraction of the entries is skipped "
              "(malformed, duplicate, absurd values); an output with nothing usable always fails.");

namespace {

constexpr char kUsage[] =
    "Builds training data in the project's formats (bazel run //tools:prepare -- MODE ...).\n\n"
    "  prepare synthetic --out=data/synthetic [--num_images=2000 --seed=0]   the embedded default world:\n"
    "        images/, pretrain_{train,val}.json, vqa_{train,val,test}.json, vocab.txt, raw/ (VQA v2 layout)\n"
    "  prepare coco  --captions=captions_train2014.json --out=pretrain_coco.json   COCO captions -> pre-training\n"
    "  prepare vg    --regions=region_descriptions.json --image_data=image_data.json --out=pretrain_vg.json\n"
    "  prepare vqa   --questions=Q.json [--annotations=A.json] [--answer_vocab=vqa_train.json]\n"
    "                [--image_info=captions_train2014.json] --out=vqa_train.json   VQA v2 -> VQA annotations\n"
    "  prepare vocab --corpus=a.json,b.json --out=vocab.txt [--vocab_size=30522]   learn a WordPiece vocabulary\n\n"
    "Typical VQA v2: convert train first (learns the answer vocabulary, --min_answer_count=9), then val and\n"
    "test with --answer_vocab=<converted train file> so all splits share answer ids.";

using soho::data::ConversionSummary;

std::vector<std::string> SplitList(const std::string& list) {
  return absl::StrSplit(list, ',', absl::SkipEmpty());
}

absl::Status Require(const std::string& value, const char* flag, const char* mode) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("prepare ", mode, ": --", flag, " is required (see --help)"));
}

void PrintSummary(const std::string& line) {
  std::cout << line << "\n";
}

// -1 selects the flag's documented default; anything else must be in [lo, hi].
absl::Status CheckDefaultOrRange(const char* flag, int64_t value, int64_t lo, int64_t hi) {
  if (value == -1) return absl::OkStatus();
  return soho::cli::CheckFlagRange(flag, value, lo, hi);
}

// Every numeric flag, named, before any file is read or written.
absl::Status ValidateFlags() {
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("num_images", FLAGS_num_images, 1, soho::data::kMaxSyntheticImages));
  SOHO_RETURN_IF_ERROR(CheckDefaultOrRange("num_eval_images", FLAGS_num_eval_images, 0, soho::data::kMaxSyntheticImages));
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("captions_per_image", FLAGS_captions_per_image, 5, 99));
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("questions_per_image", FLAGS_questions_per_image, 1, 99));
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("threads", FLAGS_threads, 0, 1024));
  SOHO_RETURN_IF_ERROR(CheckDefaultOrRange("min_answer_count", FLAGS_min_answer_count, 1, 1 << 30));
  // Room for the special tokens and an alphabet; BERT's vocabularies are 30-120k.
  SOHO_RETURN_IF_ERROR(CheckDefaultOrRange("vocab_size", FLAGS_vocab_size, 64, 1 << 20));
  SOHO_RETURN_IF_ERROR(soho::cli::CheckFlagRange("min_word_count", FLAGS_min_word_count, 1, 1 << 30));
  if (!(FLAGS_max_skipped_fraction >= 0 && FLAGS_max_skipped_fraction <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_skipped_fraction must be in [0, 1] (got ", FLAGS_max_skipped_fraction, ")"));
  }
  return absl::OkStatus();
}

// Prefixes a conversion's CheckUsable error with the mode and the input it came from.
absl::Status CheckUsable(const ConversionSummary& summary, const char* kept, const std::string& input) {
  const absl::Status usable = summary.CheckUsable(kept, FLAGS_max_skipped_fraction);
  if (usable.ok()) return usable;
  return absl::InvalidArgumentError(absl::StrCat(input, ": ", usable.message(), "; nothing written"));
}

absl::Status RunSynthetic() {
  SOHO_RETURN_IF_ERROR(Require(FLAGS_out, "out", "synthetic"));
  soho::data::SyntheticWorldOptions options;
  options.out_dir = FLAGS_out;
  options.num_images = FLAGS_num_images;
  options.num_eval_images = FLAGS_num_eval_images;
  options.seed = FLAGS_seed;
  options.captions_per_image = FLAGS_captions_per_image;
  options.questions_per_image = FLAGS_questions_per_image;
  options.max_objects = FLAGS_max_objects;
  options.num_threads = FLAGS_threads;
  if (FLAGS_vocab_size != -1) options.vocab_size = FLAGS_vocab_size;
  if (FLAGS_min_answer_count != -1) options.min_answer_count = FLAGS_min_answer_count;
  SOHO_ASSIGN_OR_RETURN(const soho::data::SyntheticWorldReport report,
                        soho::data::GenerateSyntheticWorld(options));
  for (const std::string& line : report.summaries) PrintSummary(line);
  return absl::OkStatus();
}

using PretrainConverter = absl::FunctionRef<absl::StatusOr<std::vector<soho::data::PretrainImage>>(
    const std::vector<nlohmann::json>& roots, ConversionSummary* summary)>;

// What every pre-training conversion does around its converter: read the JSON `inputs`,
// convert them, check that enough is usable (errors name inputs[0]), write --out, print the
// summary.
absl::Status ConvertPretrain(const char* mode, const std::vector<std::string>& inputs, PretrainConverter convert) {
  soho::ProgressMeter progress(absl::StrCat("prepare ", mode), 3, 0);
  std::vector<nlohmann::json> roots;
  for (const std::string& path : inputs) {
    SOHO_ASSIGN_OR_RETURN(nlohmann::json root, soho::data::ReadJsonFile(path));
    roots.push_back(std::move(root));
  }
  progress.Update(1, "parsed");
  ConversionSummary summary(mode);
  SOHO_ASSIGN_OR_RETURN(const std::vector<soho::data::PretrainImage> images, convert(roots, &summary));
  SOHO_RETURN_IF_ERROR(CheckUsable(summary, "captions", inputs[0]));
  progress.Update(2, "converted");
  SOHO_RETURN_IF_ERROR(soho::data::WritePretrainAnnotations(FLAGS_out, images));
  progress.Update(3, absl::StrCat("wrote ", FLAGS_out));
  progress.Finish();
  PrintSummary(summary.ToString());
  return absl::OkStatus();
}

absl::Status RunCoco() {
  SOHO_RETURN_IF_ERROR(Require(FLAGS_captions, "captions", "coco"));
  SOHO_RETURN_IF_ERROR(Require(FLAGS_out, "out", "coco"));
  return ConvertPretrain("coco", {FLAGS_captions},
                         [](const std::vector<nlohmann::json>& roots, ConversionSummary* summary) {
                           return soho::data::ConvertCocoCaptions(roots[0], FLAGS_captions, summary);
                         });
}

absl::Status RunVisualGenome() {
  SOHO_RETURN_IF_ERROR(Require(FLAGS_regions, "regions", "vg"));
  SOHO_RETURN_IF_ERROR(Require(FLAGS_image_data, "image_data", "vg"));
  SOHO_RETURN_IF_ERROR(Require(FLAGS_out, "out", "vg"));
  return ConvertPretrain("vg", {FLAGS_regions, FLAGS_image_data},
                         [](const std::vector<nlohmann::json>& roots, ConversionSummary* summary) {
                           return soho::data::ConvertVisualGenome(roots[0], FLAGS_regions, roots[1],
                                                                  FLAGS_image_data, summary);
                         });
}

absl::StatusOr<soho::data::AnswerVocab> LoadAnswerVocab(ConversionSummary* summary) {
  if (!FLAGS_answer_vocab.empty()) {
    SOHO_ASSIGN_OR_RETURN(const soho::data::VqaAnnotations existing,
                          soho::data::ReadVqaAnnotations(FLAGS_answer_vocab));
    return existing.answers;
  }
  const std::vector<std::string> sources =
      SplitList(FLAGS_answer_annotations.empty() ? FLAGS_annotations : FLAGS_answer_annotations);
  if (sources.empty()) {
    return absl::InvalidArgumentError(
        "prepare vqa: a test split (no --annotations) needs --answer_vocab=<converted training split>");
  }
  const int min_count = FLAGS_min_answer_count != -1 ? FLAGS_min_answer_count : 9;
  soho::data::AnswerVocabBuilder builder(min_count);
  for (const std::string& path : sources) {
    SOHO_ASSIGN_OR_RETURN(const nlohmann::json root, soho::data::ReadJsonFile(path));
    SOHO_RETURN_IF_ERROR(builder.Add(root, path, summary));
  }
  soho::data::AnswerVocab vocab = builder.Build();
  if (vocab.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "prepare vqa: no answer is seen --min_answer_count=", min_count, " times in ", absl::StrJoin(sources, ", "),
        ": the answer vocabulary would be empty (lower --min_answer_count)"));
  }
  return vocab;
}

absl::Status RunVqa() {
  SOHO_RETURN_IF_ERROR(Require(FLAGS_questions, "questions", "vqa"));
  SOHO_RETURN_IF_ERROR(Require(FLAGS_out, "out", "vqa"));
  soho::ProgressMeter progress("prepare vqa", 4, 0);
  ConversionSummary summary("vqa");
  SOHO_ASSIGN_OR_RETURN(const soho::data::AnswerVocab answers, LoadAnswerVocab(&summary));
  progress.Update(1, absl::StrCat(answers.size(), " answers in the vocabulary"));
  soho::data::ImageSizes sizes;
  for (const std::string& path : SplitList(FLAGS_image_info)) {
    SOHO_ASSIGN_OR_RETURN(const nlohmann::json root, soho::data::ReadJsonFile(path));
    SOHO_ASSIGN_OR_RETURN(const soho::data::ImageSizes more, soho::data::ReadCocoImageSizes(root, path));
    sizes.insert(more.begin(), more.end());
  }
  SOHO_ASSIGN_OR_RETURN(const nlohmann::json questions, soho::data::ReadJsonFile(FLAGS_questions));
  nlohmann::json annotations;
  if (!FLAGS_annotations.empty()) {
    SOHO_ASSIGN_OR_RETURN(annotations, soho::data::ReadJsonFile(FLAGS_annotations));
  }
  progress.Update(2, "parsed");
  soho::data::VqaV2Options options;
  options.image_prefix = FLAGS_image_prefix;
  options.image_sizes = FLAGS_image_info.empty() ? nullptr : &sizes;
  const soho::data::VqaV2Input input{&questions, FLAGS_questions,
                                     FLAGS_annotations.empty() ? nullptr : &annotations, FLAGS_annotations};
  SOHO_ASSIGN_OR_RETURN(const auto images, soho::data::ConvertVqaV2(input, answers, options, &summary));
  SOHO_RETURN_IF_ERROR(CheckUsable(summary, "questions", FLAGS_questions));
  progress.Update(3, "converted");
  SOHO_RETURN_IF_ERROR(soho::data::WriteVqaAnnotations(FLAGS_out, images, answers));
  progress.Update(4, absl::StrCat("wrote ", FLAGS_out));
  progress.Finish();
  summary.Count("answers in the vocabulary", answers.size());
  PrintSummary(summary.ToString());
  return absl::OkStatus();
}

absl::Status RunVocab() {
  SOHO_RETURN_IF_ERROR(Require(FLAGS_corpus, "corpus", "vocab"));
  SOHO_RETURN_IF_ERROR(Require(FLAGS_out, "out", "vocab"));
  soho::data::WordpieceTrainer trainer(
      {FLAGS_vocab_size > 0 ? FLAGS_vocab_size : 30522, FLAGS_min_word_count, /*lower_case=*/true});
  const std::vector<std::string> files = SplitList(FLAGS_corpus);
  soho::ProgressMeter progress("prepare vocab", static_cast<int64_t>(files.size()), 0);
  for (size_t i = 0; i < files.size(); ++i) {
    SOHO_ASSIGN_OR_RETURN(const std::vector<std::string> texts, soho::data::ReadCorpusTexts(files[i]));
    for (const std::string& text : texts) trainer.Add(text);
    progress.Update(static_cast<int64_t>(i + 1), files[i]);
  }
  SOHO_ASSIGN_OR_RETURN(const std::vector<std::string> vocab, trainer.Build());
  SOHO_RETURN_IF_ERROR(soho::data::WriteVocabFile(FLAGS_out, vocab));
  progress.Finish();
  PrintSummary(absl::StrCat("vocab: ", trainer.num_texts(), " texts, ", trainer.num_distinct_words(),
                            " distinct words -> ", vocab.size(), " tokens in ", FLAGS_out));
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  soho::cli::Init(&argc, &argv, kUsage);
  const std::map<std::string, absl::Status (*)()> modes = {
      {"synthetic", RunSynthetic}, {"coco", RunCoco}, {"vg", RunVisualGenome},
      {"vqa", RunVqa},             {"vocab", RunVocab}};
  if (argc < 2 || !modes.count(argv[1])) {
    return soho::cli::Report(absl::InvalidArgumentError(
        absl::StrCat("expected a mode (synthetic, coco, vg, vqa, vocab)",
                     argc >= 2 ? absl::StrCat(", got '", argv[1], "'") : std::string(), "; see --help")));
  }
  if (argc > 2) {
    return soho::cli::Report(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", argv[2], "' after the mode (flags are --name=value)")));
  }
  const auto run = modes.at(argv[1]);
  return soho::cli::RunMain([&]() -> absl::StatusOr<int> {
    SOHO_RETURN_IF_ERROR(ValidateFlags());
    if (soho::cli::DryRun()) {
      std::cout << "prepare " << argv[1] << " --out=" << FLAGS_out << "\n";
      return 0;
    }
    SOHO_RETURN_IF_ERROR(run());
    return 0;
  });
}
