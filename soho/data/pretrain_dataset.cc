#include "soho/data/pretrain_dataset.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
      itm_neg_prob_(data.itm_neg_prob()) {}

absl::StatusOr<std::unique_ptr<PretrainDataset>> PretrainDataset::Create(
    const proto::DataConfig& data, Split split, std::shared_ptr<const BertTokenizer> tokenizer) {
  const auto& sources = SourcesOf(data, split);
  if (sources.empty()) return absl::InvalidArgumentError(absl::StrCat(SplitName(split), " is empty"));
  if (data.sentence_group() < 1) return absl::InvalidArgumentError("data.sentence_group must be >= 1");
  if (data.max_text_length() < 2) return absl::InvalidArgumentError("data.max_text_length must be >= 2");
  CHECK(tokenizer != nullptr);
  std::unique_ptr<PretrainDataset> ds(new PretrainDataset(data, std::move(tokenizer)));

  std::vector<std::string> roots, names;
  const int min_size = data.image().min_size();
  for (int s = 0; s < sources.size(); ++s) {
    const std::string& path = sources[s].annotation();
    names.push_back(path);
    roots.push_back(sources[s].image_root());
    SOHO_ASSIGN_OR_RETURN(PretrainAnnotations ann, ReadPretrainAnnotations(path));
    ds->dropped_ += ann.entries.skipped;
    for (PretrainImage& entry : ann.images) {
      // Known sizes below the minimum are left out up front, as the reference's
      // _filter_imgs does; unknown sizes (0) are checked when the image is decoded.
      if (entry.height > 0 && entry.width > 0 && std::min(entry.height, entry.width) < min_size) {
        LOG(WARNING) << path << ": " << entry.file_name << " is " << entry.width << "x" << entry.height
                     << ", below data.image.min_size " << min_size << "; left out";
        ++ds->dropped_;
        continue;
      }
      const int32_t image = static_cast<int32_t>(ds->images_.size());
      const int32_t n = static_cast<int32_t>(entry.captions.size());
      const uint8_t group = entry.height > 0 && entry.width > 0 ? AspectGroup(entry.height, entry.width) : 0;
      for (int32_t first = 0; first < n; first += ds->sentence_group_) {
        ds->samples_.push_back({image, first, std::min(ds->sentence_group_, n - first)});
        ds->groups_.push_back(group);
      }
      ds->images_.push_back({s, std::move(entry.file_name), entry.image_id, std::move(entry.captions)});
    }
  }
  ds->name_ = absl::StrJoin(names, ",");
  if (ds->samples_.empty()) return absl::InvalidArgumentError(absl::StrCat(ds->name_, ": no usable samples"));
  absl::flat_hash_set<int64_t> ids;
  for (const Image& image : ds->images_) ids.insert(image.image_id);
  ds->has_negatives_ = ids.size() > 1;
  if (!ds->has_negatives_ && ds->itm_neg_prob_ > 0) {
    LOG(WARNING) << ds->name_ << ": all samples show one image, so ITM has no negatives";
  }
  ds->pools_ = GroupPools(ds->groups_);
  SOHO_ASSIGN_OR_RETURN(ds->sources_, ImageSources::Open(roots, data.image(), split == Split::kTrain));
  return ds;
}

absl::StatusOr<std::unique_ptr<SkipTracker>> PretrainDataset::NewSkipTracker(double max_fraction) const {
  return data::NewSkipTracker(name_, size(), dropped_, max_fraction);
}

const std::string* PretrainDataset::NegativeCaption(int64_t image_id, Rng* rng) const {
  if (!has_negatives_) return nullptr;
  // Like the reference: draw samples until one shows another image.
  while (true) {
    const Sample& other = samples_[rng->UniformInt(samples_.size())];
    const Image& image = images_[other.image];
    if (image.image_id == image_id) continue;
    return &image.captions[other.first_caption + rng->UniformInt(other.num_captions)];
  }
}

void PretrainDataset::FillText(int64_t sample_index, Rng* rng, int64_t row, int64_t* ids, int64_t* mask,
                               int64_t* labels, int64_t* itm) const {
  const Sample& sample = samples_[sample_index];
  const Image& image = images_[sample.image];
  const int group = sentence_group_;
  const int length = max_text_length_;
  std::vector<int32_t> chosen(group);
  std::iota(chosen.begin(), chosen.begin() + sample.num_captions, sample.first_caption);
  const int missing = group - sample.num_captions;
  const int n = static_cast<int>(image.captions.size());
  if (missing > 0 && missing <= n) {
    // Distinct captions of the image (partial Fisher-Yates), as the reference's shuffle.
    std::vector<int32_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    for (int k = 0; k < missing; ++k) {
      std::swap(all[k], all[k + rng->UniformInt(n - k)]);
      chosen[sample.num_captions + k] = all[k];
    }
  } else {
    for (int k = 0; k < missing; ++k) chosen[sample.num_captions + k] = static_cast<int32_t>(rng->UniformInt(n));
  }
  for (int g = 0; g < group; ++g) {
    const int64_t r = row + g;
    const std::string* caption = &image.captions[chosen[g]];
    itm[r] = 1;
    if (rng->Bernoulli(itm_neg_prob_)) {
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
    masker_.Apply(row_ids, labels + r * length, length, rng);
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
      const Image& image = images_[samples_[i].image];
      SOHO_ASSIGN_OR_RETURN(cv::Mat m, sources_->Load(image.source, image.file_name, r));
      return std::make_pair(i, std::move(m));
    };
    SOHO_ASSIGN_OR_RETURN(auto loaded,
                          LoadWithFallback(indices[p], pools_[groups_[indices[p]]], &rng, load, &out.skipped));
    images[p] = std::move(loaded.second);
    out.indices.push_back(loaded.first);
    FillText(loaded.first, &rng, p * sentence_group_, out.input_ids.data_ptr<int64_t>(),
             out.attention_mask.data_ptr<int64_t>(), out.mlm_labels.data_ptr<int64_t>(),
             out.itm_labels.data_ptr<int64_t>());
  }
  out.image = sources_->pipeline().Collate(images);
  return out;
}

}  // namespace soho::data
