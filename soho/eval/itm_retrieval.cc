#include "soho/eval/itm_retrieval.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "soho/common/logging.h"
#include "soho/common/progress.h"
#include "soho/common/status_macros.h"
#include "soho/data/image/image_sources.h"
#include "soho/data/rng.h"
#include "soho/eval/eval_mode.h"
#include "soho/eval/val_images.h"

namespace soho::eval {
namespace {

}  // namespace

std::vector<float> ItmMatchScores(model::SohoPretrainModel& model, const ImageBatch& images,
                                  const std::vector<data::Encoding>& texts, int texts_per_pass) {
  CHECK(!texts.empty() && texts_per_pass >= 1);
  ScopedEvalMode eval_mode(*model);
  at::NoGradGuard no_grad;
  const c10::Device device = DeviceOf(*model);
  const int64_t num_images = images.images.size(0);
  const int64_t num_texts = static_cast<int64_t>(texts.size());
  const int64_t length = static_cast<int64_t>(texts.front().ids.size());
  at::Tensor ids = at::empty({num_texts, length}, at::kLong), mask = at::empty({num_texts, length}, at::kLong);
  for (int64_t t = 0; t < num_texts; ++t) {
    std::copy(texts[t].ids.begin(), texts[t].ids.end(), ids.data_ptr<int64_t>() + t * length);
    std::copy(texts[t].attention_mask.begin(), texts[t].attention_mask.end(), mask.data_ptr<int64_t>() + t * length);
  }
  ids = ids.to(device);
  mask = mask.to(device);

  std::vector<float> scores(static_cast<size_t>(num_images * num_texts));
  for (int64_t i = 0; i < num_images; ++i) {
    // SohoPretrainModel::forward without its MLM and MVM heads, whose vocabulary- and
    // dictionary-sized products would cost more than the rest, and with the backbone run once
    // per image instead of once per group of texts (the test checks it equals forward).
    const model::ImageGeometry geometry{images.valid_hw.narrow(0, i, 1).to(device), images.images.size(2),
                                        images.images.size(3)};
    const at::Tensor c5 = model->backbone->forward(images.images.narrow(0, i, 1).to(device)).back();
    for (int64_t start = 0; start < num_texts; start += texts_per_pass) {
      const int64_t group = std::min<int64_t>(texts_per_pass, num_texts - start);
      const model::VisualTokens visual = model->neck->forward(c5, geometry, group);
      const at::Tensor fused = model->language->forward(ids.narrow(0, start, group), mask.narrow(0, start, group),
                                                        visual.tokens, visual.mask);
      const at::Tensor match =
          at::softmax(model->head->forward(fused).to(at::kFloat), 1).select(1, 1).to(at::kCPU).contiguous();
      std::copy(match.data_ptr<float>(), match.data_ptr<float>() + group, scores.begin() + i * num_texts + start);
    }
  }
  return scores;
}

absl::StatusOr<ItmRetrievalResult> EvaluateItmRetrieval(model::SohoPretrainModel& model,
                                                        const proto::DataConfig& data,
                                                        const data::BertTokenizer& tokenizer,
                                                        const ItmRetrievalOptions& options) {
  if (options.num_images < 1 || options.texts_per_pass < 1) {
    return absl::InvalidArgumentError(absl::StrCat("retrieval needs >= 1 image and >= 1 text per pass, got ",
                                                   options.num_images, " and ", options.texts_per_pass));
  }
  SOHO_ASSIGN_OR_RETURN(ValImages val, FirstValImages(data, options.num_images, "retrieval"));
  const std::vector<ValImage>& candidates = val.images;
  const std::vector<std::string>& roots = val.roots;
  SOHO_ASSIGN_OR_RETURN(std::unique_ptr<data::ImageSources> sources,
                        data::ImageSources::Open(roots, data.image(), /*training=*/false));
  data::Rng rng(0);  // the test scale draws nothing

  // First pass: which images load, so that the texts of the others are left out of the
  // ranking. The second pass decodes them again rather than holding N images in memory.
  std::vector<const ValImage*> usable;
  ItmRetrievalResult result;
  for (const ValImage& c : candidates) {
    absl::StatusOr<cv::Mat> image = sources->Load(c.source, c.file_name, &rng);
    if (!image.ok()) {
      LOG(WARNING) << "retrieval: left out (with its captions): " << image.status().message();
      ++result.skipped_images;
      continue;
    }
    usable.push_back(&c);
  }
  if (usable.empty()) return absl::InvalidArgumentError("retrieval: none of the val images could be read");
  std::vector<data::Encoding> texts;
  std::vector<int64_t> text_image;
  for (size_t i = 0; i < usable.size(); ++i) {
    for (const std::string& caption : usable[i]->captions) {
      texts.push_back(tokenizer.Encode(caption, data.max_text_length()));
      text_image.push_back(static_cast<int64_t>(i));
    }
  }

  const int64_t num_images = static_cast<int64_t>(usable.size());
  ProgressMeter progress(absl::StrCat("retrieval ", num_images, " images x ", texts.size(), " captions"), num_images);
  std::vector<float> scores;
  scores.reserve(static_cast<size_t>(num_images) * texts.size());
  for (int64_t i = 0; i < num_images; ++i) {
    SOHO_ASSIGN_OR_RETURN(const cv::Mat image, sources->Load(usable[i]->source, usable[i]->file_name, &rng));
    const std::vector<float> row =
        ItmMatchScores(model, sources->pipeline().Collate({image}), texts, options.texts_per_pass);
    scores.insert(scores.end(), row.begin(), row.end());
    progress.Update(i + 1);
  }
  progress.Finish();
  SOHO_ASSIGN_OR_RETURN(result.recall, ComputeRetrievalRecall(scores, num_images, text_image, options.ks));
  return result;
}

}  // namespace soho::eval
