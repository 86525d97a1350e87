#pragma once
// VQA samples (the reference's VisualLanguageDownstreamVQA): an image with questions, each
// tokenized, with a soft-score target vector over the answer vocabulary.
//
// Training: like the reference, an image's questions come in chunks of G = data.sentence_group
// (a short last chunk topped up with questions of the same image, drawn per batch), the
// image features being shared by its G questions. Evaluation and test: one question per
// sample (G = 1), every question exactly once, so that predictions map to question ids.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/dataset_common.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/image/image_sources.h"
#include "soho/data/skip_tracker.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/proto/config.pb.h"

namespace soho::data {

struct VqaBatch {
  // images [B, 3, H, W] float, valid_hw [B, 2] int64. Undefined when size() == 0.
  ImageBatch image;
  // int64 [B*G, L]: rows i*G .. i*G+G-1 are image i's questions.
  at::Tensor input_ids;
  at::Tensor attention_mask;
  // float [B*G, num_answers]: each answer id's soft score (0 elsewhere; all 0 for test
  // questions, which have no answers).
  at::Tensor targets;
  // int64 [B*G]: the question ids.
  at::Tensor question_ids;
  // The dataset index of each image.
  std::vector<int64_t> indices;
  std::vector<SkippedSample> skipped;

  // Images in the batch. Evaluation drops bad samples instead of replacing them, so this
  // can be smaller than the sampler's batch, even 0.
  int64_t size() const { return static_cast<int64_t>(indices.size()); }
};

class VqaDataset {
 public:
  using Batch = VqaBatch;

  // Reads the annotation files of `split`; their answer vocabularies must agree. Malformed
  // entries and entries whose recorded size is below data.image.min_size are left out and
  // counted.
  static absl::StatusOr<std::unique_ptr<VqaDataset>> Create(const proto::DataConfig& data, Split split,
                                                             std::shared_ptr<const BertTokenizer> tokenizer);

  // Thread-safe, a pure function of its arguments. Training replaces bad images by random
  // samples of the same aspect group; evaluation drops them (listed in `skipped`).
  absl::StatusOr<VqaBatch> LoadBatch(const std::vector<int64_t>& indices, uint64_t seed) const;

  int64_t size() const { return static_cast<int64_t>(samples_.chunks.size()); }
  const std::vector<uint8_t>& groups() const { return samples_.groups; }
  const std::string& name() const { return name_; }
  // Questions per sample (G).
  int questions_per_sample() const { return questions_per_sample_; }
  const AnswerVocab& answers() const { return answers_; }
  int num_answers() const { return answers_.size(); }
  absl::StatusOr<std::unique_ptr<SkipTracker>> NewSkipTracker(double max_fraction) const;

 private:
  struct Image {
    int source = 0;
    std::string file_name;
    std::vector<VqaQuestion> questions;
  };
  VqaDataset(const proto::DataConfig& data, Split split, std::shared_ptr<const BertTokenizer> tokenizer);

  // Fills rows [row, row + G) for `sample`.
  void FillQuestions(int64_t sample, Rng* rng, int64_t row, VqaBatch* out) const;

  std::string name_;
  std::shared_ptr<const BertTokenizer> tokenizer_;
  std::unique_ptr<ImageSources> sources_;
  AnswerVocab answers_;
  std::vector<Image> images_;
  TextSamples samples_;
  std::vector<std::vector<int64_t>> pools_;
  int64_t dropped_ = 0;
  bool training_;
  int max_text_length_;
  int questions_per_sample_;
};

}  // namespace soho::data
