#include "soho/data/pretrain_dataset.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/sample_fallback.h"
#include "soho/data/sampler.h"

namespace soho::data {

PretrainDataset::PretrainDataset(const proto::DataConfig& data, std::shared_ptr<const BertTokenizer> tokenizer)
    : tokenizer_(std::move(tokenizer)),
      masker_(tokenizer_->vocab(), data.mlm_prob()),
      max_text_length_(data.max_text_length()),
      sentence_group_(data.sentence_group()),
      itm_neg_prob_(data.itm_neg_prob()),
      itm_row_prob_(data.itm_row_prob()) {}

absl::StatusOr<std::unique_ptr<PretrainDataset>> PretrainDataset::Create(
    const proto::DataConfig& data, Split split, std::shared_ptr<const BertTokenizer> tokenizer) {
  SOHO_RETURN_IF_ERROR(CheckDatasetConfig(data, split));
  CHECK(tokenizer != nullptr);
  std::unique_ptr<PretrainDataset> ds(new PretrainDataset(data, std::move(tokenizer)));
  const SplitFiles files = FilesOf(data, split);
  for (int s = 0; s < static_cast<int>(files.annotations.size()); ++s) {
    const std::string& path = files.annotations[s];
    SOHO_ASSIGN_OR_RETURN(PretrainAnnotations ann, ReadPretrainAnnotations(path));
    ds->dropped_ += ann.entries.skipped;
    for (PretrainImage& entry : ann.images) {
      if (BelowMinSize(path, entry.file_name, entry.height, entry.width, data.image().min_size(), "left out")) {
        ++ds->dropped_;
        continue;
      }
      const int32_t image = static_cast<int32_t>(ds->images_.size());
      ds->samples_.AddImage(image, static_cast<int32_t>(entry.captions.size()), ds->sentence_group_, entry.height,
                            entry.width);
      ds->images_.push_back({s, std::move(entry.file_name), entry.image_id, std::move(entry.captions)});
    }
  }
  ds->name_ = files.name;
  if (ds->samples_.chunks.empty()) return absl::InvalidArgumentError(absl::StrCat(ds->name_, ": no usable samples"));
  absl::flat_hash_set<int64_t> ids;
  for (const Image& image : ds->images_) ids.insert(image.image_id);
  ds->has_negatives_ = ids.size() > 1;
  if (!ds->has_negatives_ && ds->itm_neg_prob_ > 0) {
    LOG(WARNING) << ds->name_ << ": all samples show one image, so ITM has no negatives";
  }
  ds->pools_ = GroupPools(ds->samples_.groups);
  SOHO_ASSIGN_OR_RETURN(ds->sources_, ImageSources::Open(files.image_roots, data.image(), split == Split::kTrain));
  return ds;
}

absl::StatusOr<std::unique_ptr<SkipTracker>> PretrainDataset::NewSkipTracker(double max_fraction) const {
  return data::NewSkipTracker(name_, size(), dropped_, max_fraction);
}

const std::string* PretrainDataset::NegativeCaption(int64_t image_id, Rng* rng) const {
  if (!has_negatives_) return nullptr;
  // Like the reference: draw samples until one shows another image.
  while (true) {
    const TextChunk& other = samples_.chunks[rng->UniformInt(samples_.chunks.size())];
    const Image& image = images_[other.image];
    if (image.image_id == image_id) continue;
    return &image.captions[other.first + rng->UniformInt(other.count)];
  }
}

void PretrainDataset::FillText(int64_t sample_index, Rng* rng, int64_t row, int64_t* ids, int64_t* mask,
                               int64_t* labels, int64_t* itm) const {
  const TextChunk& sample = samples_.chunks[sample_index];
  const Image& image = images_[sample.image];
  const int group = sentence_group_;
  const int length = max_text_length_;
  const std::vector<int32_t> chosen =
      ChooseTextRows(sample, group, static_cast<int>(image.captions.size()), rng);
  for (int g = 0; g < group; ++g) {
    const int64_t r = row + g;
    const std::string* caption = &image.captions[chosen[g]];
    // Joint rows (itm_row_prob 0, the reference) serve both tasks; split rows one each.
    bool for_itm = true, for_mlm = true;
    if (itm_row_prob_ > 0) {
      for_itm = rng->Bernoulli(itm_row_prob_);
      for_mlm = !for_itm;
    }
    itm[r] = for_itm ? 1 : kIgnoreLabel;
    if (for_itm && rng->Bernoulli(itm_neg_prob_)) {
      if (const std::string* negative = NegativeCaption(image.image_id, rng)) {
        caption = negative;
        itm[r] = 0;
      }
    }
    const Encoding enc = tokenizer_->Encode(*caption, length);
    int64_t* row_ids = ids + r * length;
    for (int t = 0; t < length; ++t) {
      row_ids[t] = enc.ids[t];
      mask[r * length + t] = enc.attention_mask[t];
    }
    if (for_mlm) {
      masker_.Apply(row_ids, labels + r * length, length, rng);
    } else {
      std::fill_n(labels + r * length, length, kIgnoreLabel);
    }
  }
}

absl::StatusOr<PretrainBatch> PretrainDataset::LoadBatch(const std::vector<int64_t>& indices, uint64_t seed) const {
  CHECK(!indices.empty());
  const int64_t batch = static_cast<int64_t>(indices.size());
  const int64_t rows = batch * sentence_group_;
  PretrainBatch out;
  out.input_ids = at::empty({rows, max_text_length_}, at::kLong);
  out.attention_mask = at::empty({rows, max_text_length_}, at::kLong);
  out.mlm_labels = at::empty({rows, max_text_length_}, at::kLong);
  out.itm_labels = at::empty({rows}, at::kLong);
  std::vector<cv::Mat> images(batch);
  for (int64_t p = 0; p < batch; ++p) {
    Rng rng(CombineSeeds({seed, static_cast<uint64_t>(p)}));
    auto load = [this](int64_t i, Rng* r) -> absl::StatusOr<std::pair<int64_t, cv::Mat>> {
      const Image& image = images_[samples_.chunks[i].image];
      SOHO_ASSIGN_OR_RETURN(cv::Mat m, sources_->Load(image.source, image.file_name, r));
      return std::make_pair(i, std::move(m));
    };
    SOHO_ASSIGN_OR_RETURN(
        auto loaded, LoadWithFallback(indices[p], pools_[samples_.groups[indices[p]]], &rng, load, &out.skipped));
    images[p] = std::move(loaded.second);
    out.indices.push_back(loaded.first);
    Rng text_rng = TextRng(seed, p);
    FillText(loaded.first, &text_rng, p * sentence_group_, out.input_ids.data_ptr<int64_t>(),
             out.attention_mask.data_ptr<int64_t>(), out.mlm_labels.data_ptr<int64_t>(),
             out.itm_labels.data_ptr<int64_t>());
  }
  out.image = sources_->pipeline().Collate(images);
  return out;
}

}  // namespace soho::data
