#pragma once
// The synthetic world: the project's embedded default dataset, deterministic for a seed.
// Writes into `out_dir`:
//   images/synth_<split>_<12-digit id>.jpg             rendered scenes (JPEG)
//   pretrain_train.json, pretrain_val.json             pre-training annotations
//   raw/v2_OpenEnded_synthetic_<split>_questions.json  VQA v2 layout (train, val, test)
//   raw/v2_synthetic_<split>_annotations.json          VQA v2 layout, 10 answers per question
//   vqa_train.json, vqa_val.json, vqa_test.json        converted by ConvertVqaV2 (test: no labels)
//   vocab.txt                                          WordPiece, learned from all the text
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/prepare/synthetic_scene.h"

namespace soho::data {

// Upper bound on the images of one split: ten million renders already take days and
// terabytes; larger counts are typos.
inline constexpr int kMaxSyntheticImages = 10'000'000;

struct SyntheticWorldOptions {
  std::string out_dir;
  int num_images = 2000;        // training images, at most kMaxSyntheticImages
  int num_eval_images = -1;     // images in val and in test each (at most kMaxSyntheticImages); -1: max(1, num_images / 10)
  uint64_t seed = 0;
  int captions_per_image = 6;   // >= 5
  int questions_per_image = 6;
  int max_objects = synthetic::kMaxObjects;  // objects per scene: 1..max_objects (<= 4)
  int vocab_size = 512;         // upper bound on vocab.txt entries
  int min_answer_count = 1;     // answer vocabulary threshold on the training split
  int num_threads = 0;          // rendering threads; 0: all cores. Output does not depend on it.
  int jpeg_quality = 90;
};

struct SyntheticWorldReport {
  int num_train_images = 0, num_val_images = 0, num_test_images = 0;
  int64_t num_captions = 0, num_questions = 0;
  int vocab_entries = 0;
  int num_answers = 0;
  std::vector<std::string> summaries;  // one line per conversion
};

absl::StatusOr<SyntheticWorldReport> GenerateSyntheticWorld(const SyntheticWorldOptions& options);

}  // namespace soho::data
