#include "soho/data/vqa_dataset.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"
#include "soho/common/status_macros.h"
#include "soho/data/sample_fallback.h"
#include "soho/data/sampler.h"

namespace soho::data {

VqaDataset::VqaDataset(const proto::DataConfig& data, Split split, std::shared_ptr<const BertTokenizer> tokenizer)
    : tokenizer_(std::move(tokenizer)),
      training_(split == Split::kTrain),
      max_text_length_(data.max_text_length()),
      questions_per_sample_(split == Split::kTrain ? data.sentence_group() : 1) {}

absl::StatusOr<std::unique_ptr<VqaDataset>> VqaDataset::Create(const proto::DataConfig& data, Split split,
                                                               std::shared_ptr<const BertTokenizer> tokenizer) {
  SOHO_RETURN_IF_ERROR(CheckDatasetConfig(data, split));
  CHECK(tokenizer != nullptr);
  std::unique_ptr<VqaDataset> ds(new VqaDataset(data, split, std::move(tokenizer)));
  const SplitFiles files = FilesOf(data, split);
  for (int s = 0; s < static_cast<int>(files.annotations.size()); ++s) {
    const std::string& path = files.annotations[s];
    SOHO_ASSIGN_OR_RETURN(VqaAnnotations ann, ReadVqaAnnotations(path));
    if (s == 0) {
      ds->answers_ = std::move(ann.answers);
    } else if (ann.answers.label2ans != ds->answers_.label2ans) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": its answer vocabulary (label2ans) differs from ",
                                                     files.annotations[0], "'s; sources of one split must share it"));
    }
    ds->dropped_ += ann.image_entries.skipped + ann.question_entries.skipped;
    for (VqaImage& entry : ann.images) {
      const int64_t num_questions = static_cast<int64_t>(entry.questions.size());
      if (BelowMinSize(path, entry.file_name, entry.height, entry.width, data.image().min_size(),
                       absl::StrCat("left out with its ", num_questions, " questions"))) {
        ds->dropped_ += num_questions;
        continue;
      }
      if (entry.questions.empty()) continue;
      const int32_t image = static_cast<int32_t>(ds->images_.size());
      ds->samples_.AddImage(image, static_cast<int32_t>(num_questions), ds->questions_per_sample_, entry.height,
                            entry.width);
      ds->images_.push_back({s, std::move(entry.file_name), std::move(entry.questions)});
    }
  }
  ds->name_ = files.name;
  if (ds->samples_.chunks.empty()) return absl::InvalidArgumentError(absl::StrCat(ds->name_, ": no usable questions"));
  ds->pools_ = GroupPools(ds->samples_.groups);
  SOHO_ASSIGN_OR_RETURN(ds->sources_, ImageSources::Open(files.image_roots, data.image(), ds->training_));
  return ds;
}

absl::StatusOr<std::unique_ptr<SkipTracker>> VqaDataset::NewSkipTracker(double max_fraction) const {
  return data::NewSkipTracker(name_, size(), dropped_, max_fraction);
}

void VqaDataset::FillQuestions(int64_t sample_index, Rng* rng, int64_t row, VqaBatch* out) const {
  const TextChunk& sample = samples_.chunks[sample_index];
  const Image& image = images_[sample.image];
  const int group = questions_per_sample_;
  const int length = max_text_length_;
  const std::vector<int32_t> chosen =
      ChooseTextRows(sample, group, static_cast<int>(image.questions.size()), rng);
  int64_t* ids = out->input_ids.data_ptr<int64_t>();
  int64_t* mask = out->attention_mask.data_ptr<int64_t>();
  float* targets = out->targets.data_ptr<float>();
  int64_t* qids = out->question_ids.data_ptr<int64_t>();
  const int64_t num_answers = answers_.size();
  for (int g = 0; g < group; ++g) {
    const int64_t r = row + g;
    const VqaQuestion& q = image.questions[chosen[g]];
    const Encoding enc = tokenizer_->Encode(q.question, length);
    for (int t = 0; t < length; ++t) {
      ids[r * length + t] = enc.ids[t];
      mask[r * length + t] = enc.attention_mask[t];
    }
    float* target = targets + r * num_answers;
    std::fill(target, target + num_answers, 0.f);
    for (size_t k = 0; k < q.labels.size(); ++k) target[q.labels[k]] = static_cast<float>(q.scores[k]);
    qids[r] = q.question_id;
  }
}

absl::StatusOr<VqaBatch> VqaDataset::LoadBatch(const std::vector<int64_t>& indices, uint64_t seed) const {
  CHECK(!indices.empty());
  VqaBatch out;
  std::vector<cv::Mat> images;
  std::vector<int64_t> kept;
  for (size_t p = 0; p < indices.size(); ++p) {
    Rng rng(CombineSeeds({seed, static_cast<uint64_t>(p)}));
    auto load = [this](int64_t i, Rng* r) -> absl::StatusOr<std::pair<int64_t, cv::Mat>> {
      const Image& image = images_[samples_.chunks[i].image];
      SOHO_ASSIGN_OR_RETURN(cv::Mat m, sources_->Load(image.source, image.file_name, r));
      return std::make_pair(i, std::move(m));
    };
    absl::StatusOr<std::pair<int64_t, cv::Mat>> loaded;
    if (training_) {
      loaded = LoadWithFallback(indices[p], pools_[samples_.groups[indices[p]]], &rng, load, &out.skipped);
      SOHO_RETURN_IF_ERROR(loaded.status());
    } else {
      // Each question must be answered once or not at all: no replacements.
      loaded = load(indices[p], &rng);
      if (!loaded.ok()) {
        out.skipped.push_back({indices[p], std::string(loaded.status().message())});
        continue;
      }
    }
    images.push_back(std::move(loaded->second));
    out.indices.push_back(loaded->first);
    kept.push_back(static_cast<int64_t>(p));
  }
  const int64_t rows = out.size() * questions_per_sample_;
  out.input_ids = at::empty({rows, max_text_length_}, at::kLong);
  out.attention_mask = at::empty({rows, max_text_length_}, at::kLong);
  out.targets = at::empty({rows, static_cast<int64_t>(answers_.size())}, at::kFloat);
  out.question_ids = at::empty({rows}, at::kLong);
  for (int64_t i = 0; i < out.size(); ++i) {
    Rng text_rng = TextRng(seed, kept[i]);
    FillQuestions(out.indices[i], &text_rng, i * questions_per_sample_, &out);
  }
  if (!images.empty()) out.image = sources_->pipeline().Collate(images);
  return out;
}

}  // namespace soho::data
