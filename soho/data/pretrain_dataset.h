#pragma once
// Pre-training samples (the reference's VisualLanguagePretrainDataset): one image with
// `sentence_group` captions, each tokenized, MLM-masked and, with probability itm_neg_prob,
// swapped for a caption of another image (ITM label 0). With data.itm_row_prob > 0 a row is
// either a matching row (unmasked, maybe swapped, no MLM labels) or a language row (its own
// caption, masked, ITM label -100), so each task reads text it can be scored on.
//
// As in the reference, an image with n captions gives ceil(n / G) samples (its captions in
// chunks of G = sentence_group); a short last chunk is topped up with captions drawn from
// the same image (per batch, from the batch's seed; see ChooseTextRows and TextRng).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "soho/data/dataset_common.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/image/image_sources.h"
#include "soho/data/mlm_masking.h"
#include "soho/data/skip_tracker.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/proto/config.pb.h"

namespace soho::data {

struct PretrainBatch {
  // images [B, 3, H, W] float, valid_hw [B, 2] int64.
  ImageBatch image;
  // int64 [B*G, L]: rows i*G .. i*G+G-1 are image i's captions, after MLM masking.
  at::Tensor input_ids;
  // int64 [B*G, L]: 1 on real tokens ([CLS] ... [SEP]), 0 on padding.
  at::Tensor attention_mask;
  // int64 [B*G, L]: the original id at masked positions, -100 elsewhere.
  at::Tensor mlm_labels;
  // int64 [B*G]: 1 when the caption belongs to the image, 0 when it is another image's,
  // -100 on a language-only row (data.itm_row_prob).
  at::Tensor itm_labels;
  // The dataset index of each image (a replacement's when a sample was bad).
  std::vector<int64_t> indices;
  std::vector<SkippedSample> skipped;

  int64_t size() const { return static_cast<int64_t>(indices.size()); }
};

class PretrainDataset {
 public:
  using Batch = PretrainBatch;

  // Reads the annotation files of `split` (their malformed entries, and entries whose
  // recorded size is below data.image.min_size, are left out and counted) and opens their
  // image roots. Training uses data.image's training scales; other splits the test scale.
  static absl::StatusOr<std::unique_ptr<PretrainDataset>> Create(const proto::DataConfig& data, Split split,
                                                                 std::shared_ptr<const BertTokenizer> tokenizer);

  // Thread-safe and a pure function of its arguments (the loader's contract). Bad images are
  // replaced by random samples of the same aspect group and listed in `skipped`.
  absl::StatusOr<PretrainBatch> LoadBatch(const std::vector<int64_t>& indices, uint64_t seed) const;

  int64_t size() const { return static_cast<int64_t>(samples_.chunks.size()); }
  // Aspect group of each sample, for TrainBatches.
  const std::vector<uint8_t>& groups() const { return samples_.groups; }
  // The annotation files, for messages.
  const std::string& name() const { return name_; }
  // A skip tracker over this dataset (entries left out at load already counted).
  absl::StatusOr<std::unique_ptr<SkipTracker>> NewSkipTracker(double max_fraction) const;

 private:
  struct Image {
    int source = 0;
    std::string file_name;
    int64_t image_id = 0;
    std::vector<std::string> captions;
  };
  PretrainDataset(const proto::DataConfig& data, std::shared_ptr<const BertTokenizer> tokenizer);

  // Fills rows [row, row + G) of the text tensors for `sample`.
  void FillText(int64_t sample, Rng* rng, int64_t row, int64_t* ids, int64_t* mask, int64_t* labels,
                int64_t* itm) const;
  // A caption of a random sample of another image, or nullptr when there is none.
  const std::string* NegativeCaption(int64_t image_id, Rng* rng) const;

  std::string name_;
  std::shared_ptr<const BertTokenizer> tokenizer_;
  MlmMasker masker_;
  std::unique_ptr<ImageSources> sources_;
  std::vector<Image> images_;
  TextSamples samples_;
  std::vector<std::vector<int64_t>> pools_;
  int64_t dropped_ = 0;
  bool has_negatives_ = false;
  int max_text_length_;
  int sentence_group_;
  double itm_neg_prob_;
  double itm_row_prob_;
};

}  // namespace soho::data
