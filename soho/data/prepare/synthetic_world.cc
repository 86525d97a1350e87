#include "soho/data/prepare/synthetic_world.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "soho/common/file_util.h"
#include "soho/common/progress.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/prepare/conversion_summary.h"
#include "soho/data/prepare/synthetic_render.h"
#include "soho/data/prepare/synthetic_scene.h"
#include "soho/data/prepare/vqa_v2.h"
#include "soho/data/rng.h"
#include "soho/data/text/wordpiece_trainer.h"

namespace soho::data {
namespace {

using nlohmann::json;
using synthetic::QuestionAnswer;
using synthetic::Scene;

constexpr char kImagePrefix[] = "synth_";
// Independent random streams per image, so e.g. more captions per image do not change scenes.
enum Stream : uint64_t { kSceneStream = 0, kCaptionStream = 1, kQuestionStream = 2 };

struct Item {
  int64_t image_id = 0;
  std::string file_name;
  Scene scene;
  std::vector<std::string> captions;
  std::vector<QuestionAnswer> questions;
};

struct Split {
  std::string name;  // "train", "val", "test" (also VQA's data_subtype)
  std::vector<Item> items;
};

Split MakeSplit(const std::string& name, int split_index, int count, int64_t first_id,
                const SyntheticWorldOptions& options) {
  Split split{name, {}};
  split.items.resize(count);
  for (int i = 0; i < count; ++i) {
    Item& item = split.items[i];
    item.image_id = first_id + i;
    item.file_name = VqaImageFileName(kImagePrefix, name, item.image_id);
    const uint64_t base = static_cast<uint64_t>(split_index) * 8;
    Rng scene_rng(CombineSeeds({options.seed, base + kSceneStream, static_cast<uint64_t>(i)}));
    item.scene = synthetic::GenerateScene(&scene_rng, options.max_objects);
    Rng caption_rng(CombineSeeds({options.seed, base + kCaptionStream, static_cast<uint64_t>(i)}));
    item.captions = synthetic::Captions(item.scene, options.captions_per_image, &caption_rng);
    Rng question_rng(CombineSeeds({options.seed, base + kQuestionStream, static_cast<uint64_t>(i)}));
    item.questions = synthetic::Questions(item.scene, options.questions_per_image, &question_rng);
  }
  return split;
}

absl::Status RenderImages(const std::vector<const Item*>& items, const SyntheticWorldOptions& options) {
  const std::string image_dir = absl::StrCat(options.out_dir, "/images");
  SOHO_RETURN_IF_ERROR(CreateDirectories(image_dir));
  const int threads = std::max(1, std::min<int>(options.num_threads > 0 ? options.num_threads
                                                : static_cast<int>(std::thread::hardware_concurrency()),
                                                static_cast<int>(items.size())));
  std::atomic<size_t> next{0};
  std::atomic<int64_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  absl::Status error;
  auto work = [&]() {
    for (size_t i = next++; i < items.size() && !failed; i = next++) {
      const Item& item = *items[i];
      absl::StatusOr<std::string> jpeg =
          synthetic::EncodeJpeg(synthetic::RenderScene(item.scene), options.jpeg_quality);
      absl::Status status = jpeg.ok() ? absl::OkStatus() : jpeg.status();
      if (status.ok()) status = WriteFileAtomically(absl::StrCat(image_dir, "/", item.file_name), *jpeg);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (error.ok()) error = status;
        failed = true;
        return;
      }
      ++done;
    }
  };
  ProgressMeter progress("synthetic: rendering images", static_cast<int64_t>(items.size()));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  while (!failed && done < static_cast<int64_t>(items.size())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    progress.Update(done);
  }
  for (std::thread& t : pool) t.join();
  progress.Update(done, "", /*force=*/true);
  progress.Finish(absl::StrCat(threads, " threads"));
  return error;
}

absl::Status WritePretrain(const Split& split, const SyntheticWorldOptions& options,
                           SyntheticWorldReport* report) {
  std::vector<PretrainImage> images;
  for (const Item& item : split.items) {
    PretrainImage image;
    image.file_name = item.file_name;
    image.image_id = item.image_id;
    image.height = item.scene.height;
    image.width = item.scene.width;
    image.captions = item.captions;
    for (const synthetic::Object& o : item.scene.objects) image.labels.push_back(static_cast<int>(o.shape));
    report->num_captions += static_cast<int64_t>(image.captions.size());
    images.push_back(std::move(image));
  }
  return WritePretrainAnnotations(absl::StrCat(options.out_dir, "/pretrain_", split.name, ".json"), images);
}

// The split's questions and annotations in the public VQA v2 layout.
void ToVqaV2(const Split& split, json* questions, json* annotations) {
  *questions = {{"info", {{"description", "soho-cpp synthetic world"}}},
                {"task_type", "Open-Ended"},
                {"data_type", "synthetic"},
                {"data_subtype", split.name},
                {"questions", json::array()}};
  *annotations = {{"info", {{"description", "soho-cpp synthetic world"}}},
                  {"data_type", "synthetic"},
                  {"data_subtype", split.name},
                  {"annotations", json::array()}};
  for (const Item& item : split.items) {
    for (size_t k = 0; k < item.questions.size(); ++k) {
      const QuestionAnswer& qa = item.questions[k];
      const int64_t question_id = item.image_id * 100 + static_cast<int64_t>(k);
      (*questions)["questions"].push_back(
          {{"image_id", item.image_id}, {"question", qa.question}, {"question_id", question_id}});
      json answers = json::array();
      for (size_t a = 0; a < qa.annotator_answers.size(); ++a) {
        answers.push_back({{"answer", qa.annotator_answers[a]},
                           {"answer_confidence", "yes"},
                           {"answer_id", static_cast<int>(a) + 1}});
      }
      (*annotations)["annotations"].push_back({{"question_type", qa.question_type},
                                               {"multiple_choice_answer", qa.answer},
                                               {"answers", std::move(answers)},
                                               {"image_id", item.image_id},
                                               {"answer_type", qa.answer_type},
                                               {"question_id", question_id}});
    }
  }
}

absl::Status ValidateOptions(const SyntheticWorldOptions& options) {
  if (options.out_dir.empty()) return absl::InvalidArgumentError("synthetic: --out is required");
  if (options.num_images < 1 || options.num_images > kMaxSyntheticImages) {
    return absl::InvalidArgumentError(absl::StrCat("synthetic: --num_images must be in [1, ", kMaxSyntheticImages,
                                                   "], got ", options.num_images));
  }
  if (options.num_eval_images > kMaxSyntheticImages) {
    return absl::InvalidArgumentError(absl::StrCat("synthetic: --num_eval_images must be at most ",
                                                   kMaxSyntheticImages, ", got ", options.num_eval_images));
  }
  if (options.captions_per_image < 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("synthetic: --captions_per_image must be >= 5, got ", options.captions_per_image));
  }
  if (options.questions_per_image < 1 || options.questions_per_image > 99) {
    return absl::InvalidArgumentError(absl::StrCat(
        "synthetic: --questions_per_image must be in [1, 99], got ", options.questions_per_image));
  }
  if (options.max_objects < 1 || options.max_objects > synthetic::kMaxObjects) {
    return absl::InvalidArgumentError(absl::StrCat("synthetic: --max_objects must be in [1, ",
                                                   synthetic::kMaxObjects, "], got ", options.max_objects));
  }
  return absl::OkStatus();
}

// train, val and test, with consecutive image ids from 1 (64-bit: question ids are id * 100 + k).
std::vector<Split> MakeSplits(const SyntheticWorldOptions& options, SyntheticWorldReport* report) {
  const int num_eval = options.num_eval_images >= 0 ? options.num_eval_images
                                                     : std::max(1, options.num_images / 10);
  const int64_t first_val_id = int64_t{1} + options.num_images;
  std::vector<Split> splits;
  splits.push_back(MakeSplit("train", 0, options.num_images, 1, options));
  splits.push_back(MakeSplit("val", 1, num_eval, first_val_id, options));
  splits.push_back(MakeSplit("test", 2, num_eval, first_val_id + num_eval, options));
  report->num_train_images = options.num_images;
  report->num_val_images = report->num_test_images = num_eval;
  return splits;
}

// Every split's questions in the public VQA v2 layout under raw/, then converted by the same
// code as real VQA v2 (answer vocabulary from train), as vqa_<split>.json.
absl::Status WriteVqa(const std::vector<Split>& splits, const SyntheticWorldOptions& options,
                      SyntheticWorldReport* report) {
  ImageSizes sizes;
  for (const Split& split : splits) {
    for (const Item& item : split.items) sizes[item.image_id] = {item.scene.height, item.scene.width};
  }
  std::vector<json> questions(splits.size()), annotations(splits.size());
  std::vector<std::string> question_paths, annotation_paths;
  for (size_t s = 0; s < splits.size(); ++s) {
    ToVqaV2(splits[s], &questions[s], &annotations[s]);
    question_paths.push_back(absl::StrCat(options.out_dir, "/raw/v2_OpenEnded_synthetic_", splits[s].name,
                                          "_questions.json"));
    annotation_paths.push_back(
        absl::StrCat(options.out_dir, "/raw/v2_synthetic_", splits[s].name, "_annotations.json"));
    SOHO_RETURN_IF_ERROR(WriteJsonFile(question_paths[s], questions[s]));
    SOHO_RETURN_IF_ERROR(WriteJsonFile(annotation_paths[s], annotations[s]));
  }
  ConversionSummary vocab_summary("synthetic answer vocabulary");
  AnswerVocabBuilder answer_builder(options.min_answer_count);
  SOHO_RETURN_IF_ERROR(answer_builder.Add(annotations[0], annotation_paths[0], &vocab_summary));
  const AnswerVocab answers = answer_builder.Build();
  report->num_answers = answers.size();
  VqaV2Options vqa_options;
  vqa_options.image_prefix = kImagePrefix;
  vqa_options.image_sizes = &sizes;
  for (size_t s = 0; s < splits.size(); ++s) {
    ConversionSummary summary(absl::StrCat("synthetic vqa_", splits[s].name));
    const bool is_test = splits[s].name == "test";  // like VQA v2 test: questions only
    VqaV2Input input{&questions[s], question_paths[s], is_test ? nullptr : &annotations[s],
                     is_test ? "" : annotation_paths[s]};
    SOHO_ASSIGN_OR_RETURN(const std::vector<VqaImage> images, ConvertVqaV2(input, answers, vqa_options, &summary));
    SOHO_RETURN_IF_ERROR(WriteVqaAnnotations(
        absl::StrCat(options.out_dir, "/vqa_", splits[s].name, ".json"), images, answers));
    report->num_questions += summary.count("questions");
    report->summaries.push_back(summary.ToString());
  }
  return absl::OkStatus();
}

// vocab.txt: WordPiece over every caption and question a model may read (test captions are
// not read by any run, so they stay out).
absl::Status WriteVocab(const std::vector<Split>& splits, const SyntheticWorldOptions& options,
                        SyntheticWorldReport* report) {
  WordpieceTrainer vocab_trainer({/*max_size=*/options.vocab_size, /*min_word_count=*/1,
                                  /*lower_case=*/true});
  for (const Split& split : splits) {
    for (const Item& item : split.items) {
      if (split.name != "test") {
        for (const std::string& caption : item.captions) vocab_trainer.Add(caption);
      }
      for (const QuestionAnswer& qa : item.questions) vocab_trainer.Add(qa.question);
    }
  }
  absl::StatusOr<std::vector<std::string>> vocab = vocab_trainer.Build();
  if (!vocab.ok()) return absl::InvalidArgumentError(absl::StrCat("synthetic: ", vocab.status().message()));
  SOHO_RETURN_IF_ERROR(WriteVocabFile(absl::StrCat(options.out_dir, "/vocab.txt"), *vocab));
  report->vocab_entries = static_cast<int>(vocab->size());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SyntheticWorldReport> GenerateSyntheticWorld(const SyntheticWorldOptions& options) {
  SOHO_RETURN_IF_ERROR(ValidateOptions(options));
  SyntheticWorldReport report;
  const std::vector<Split> splits = MakeSplits(options, &report);
  std::vector<const Item*> all;
  for (const Split& split : splits) {
    for (const Item& item : split.items) all.push_back(&item);
  }
  SOHO_RETURN_IF_ERROR(RenderImages(all, options));
  SOHO_RETURN_IF_ERROR(WritePretrain(splits[0], options, &report));
  SOHO_RETURN_IF_ERROR(WritePretrain(splits[1], options, &report));
  SOHO_RETURN_IF_ERROR(WriteVqa(splits, options, &report));
  SOHO_RETURN_IF_ERROR(WriteVocab(splits, options, &report));
  report.summaries.push_back(absl::StrCat("synthetic: ", report.num_train_images, " train, ",
                                          report.num_val_images, " val, ", report.num_test_images,
                                          " test images; ", report.num_captions, " captions; ",
                                          report.num_questions, " questions; ", report.num_answers,
                                          " answers; vocab.txt ", report.vocab_entries, " tokens"));
  return report;
}

}  // namespace soho::data
