#include "soho/eval/vqa_predictor.h"

#include <algorithm>
#include <optional>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "soho/common/file_util.h"
#include "soho/common/progress.h"
#include "soho/common/status_macros.h"
#include "soho/data/data_loader.h"
#include "soho/data/rng.h"
#include "soho/data/sampler.h"
#include "soho/eval/eval_mode.h"
#include "soho/losses/losses.h"

namespace soho::eval {
namespace {

absl::Status CheckAnswerCount(const at::Tensor& logits, const data::AnswerVocab& answers, const std::string& source) {
  if (logits.size(1) == answers.size()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("the model scores ", logits.size(1), " answers but ", source,
                                                 " has ", answers.size(), " (model.head.num_answers must match)"));
}

// Row i of `logits` [N, A] becomes the prediction for question_ids[i]: the top_k answers by
// logit, with sigmoid probabilities (the head is trained with per-answer BCE).
void AppendTopAnswers(const at::Tensor& logits, const std::vector<int64_t>& question_ids,
                      const data::AnswerVocab& answers, int top_k, std::vector<VqaPrediction>* out) {
  const int64_t k = std::min<int64_t>(top_k, logits.size(1));
  auto [values, indices] = at::topk(logits.to(at::kFloat), k, /*dim=*/1);
  const at::Tensor probabilities = at::sigmoid(values).to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor labels = indices.to(at::kCPU).contiguous();
  const double* p = probabilities.data_ptr<double>();
  const int64_t* l = labels.data_ptr<int64_t>();
  for (size_t row = 0; row < question_ids.size(); ++row) {
    VqaPrediction prediction{question_ids[row], {}};
    for (int64_t j = 0; j < k; ++j) {
      const int64_t label = l[row * k + j];
      prediction.top.push_back({answers.label2ans[label], static_cast<int>(label), p[row * k + j]});
    }
    out->push_back(std::move(prediction));
  }
}

absl::Status Validate(const VqaPredictorOptions& o) {
  if (o.batch_size < 1) return absl::InvalidArgumentError(absl::StrCat("batch size must be >= 1, got ", o.batch_size));
  if (o.top_k < 1) return absl::InvalidArgumentError(absl::StrCat("top_k must be >= 1, got ", o.top_k));
  if (o.num_workers < 0 || o.prefetch_batches < 1) {
    return absl::InvalidArgumentError("num_workers must be >= 0 and prefetch_batches >= 1");
  }
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", o.rank, " is not in a world of size ", o.world_size));
  }
  return absl::OkStatus();
}

}  // namespace

VqaPredictorOptions VqaPredictorOptions::FromConfig(const proto::DataConfig& data) {
  VqaPredictorOptions options;
  options.batch_size = data.eval_batch_size();
  options.num_workers = data.num_workers();
  options.prefetch_batches = data.prefetch_batches();
  options.max_skipped_fraction = data.max_skipped_fraction();
  return options;
}

absl::StatusOr<VqaSplitPredictions> PredictVqaSplit(model::SohoVqaModel& model, const data::VqaDataset& dataset,
                                                    const VqaPredictorOptions& options) {
  SOHO_RETURN_IF_ERROR(Validate(options));
  if (dataset.questions_per_sample() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        dataset.name(), ": a training split (", dataset.questions_per_sample(),
        " questions per sample, topped up with repeats) cannot be predicted question by question; "
        "open it as val or test"));
  }
  SOHO_ASSIGN_OR_RETURN(std::unique_ptr<data::SkipTracker> skips,
                        dataset.NewSkipTracker(options.max_skipped_fraction));
  std::vector<std::vector<int64_t>> batches =
      data::EvalBatches(dataset.size(), options.batch_size, options.rank, options.world_size);
  int64_t total = 0;
  for (const auto& b : batches) total += static_cast<int64_t>(b.size());

  ScopedEvalMode eval_mode(*model);
  at::NoGradGuard no_grad;
  const c10::Device device = DeviceOf(*model);
  // Evaluation samples draw nothing at random (test scale, one question each): any seed.
  data::DataLoader<data::VqaDataset> loader(dataset, std::move(batches), /*epoch_seed=*/0,
                                            {options.num_workers, options.prefetch_batches}, skips.get());
  ProgressMeter progress(absl::StrCat("vqa predict ", dataset.name()), total);
  VqaSplitPredictions out;
  double soft_score_sum = 0;
  int64_t done = 0;
  while (true) {
    SOHO_ASSIGN_OR_RETURN(std::optional<data::VqaBatch> batch, loader.Next());
    if (!batch) break;
    done += batch->size() + static_cast<int64_t>(batch->skipped.size());
    out.skipped_questions += static_cast<int64_t>(batch->skipped.size());
    if (batch->size() > 0) {
      const ImageBatch images{batch->image.images.to(device), batch->image.valid_hw.to(device)};
      const model::TextBatch text{batch->input_ids.to(device), batch->attention_mask.to(device)};
      const at::Tensor logits = model->forward(images, text);
      SOHO_RETURN_IF_ERROR(CheckAnswerCount(logits, dataset.answers(), dataset.name()));
      soft_score_sum += losses::VqaSoftScore(logits, batch->targets.to(device)).sum().item<double>();
      const at::Tensor ids = batch->question_ids.contiguous();
      const std::vector<int64_t> question_ids(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
      AppendTopAnswers(logits, question_ids, dataset.answers(), options.top_k, &out.predictions);
    }
    if (!out.predictions.empty()) out.soft_score = 100.0 * soft_score_sum / static_cast<double>(out.predictions.size());
    progress.Update(done, absl::StrFormat("soft score %.2f", out.soft_score));
  }
  progress.Finish(absl::StrCat(out.predictions.size(), " questions answered, ", out.skipped_questions,
                               " skipped (bad images)"));
  return out;
}

absl::StatusOr<VqaPrediction> PredictVqaSingle(model::SohoVqaModel& model, const SingleQuestionInputs& inputs,
                                               const std::string& image_path, const std::string& question,
                                               int top_k) {
  CHECK(inputs.pipeline != nullptr && inputs.tokenizer != nullptr && inputs.answers != nullptr);
  if (top_k < 1) return absl::InvalidArgumentError(absl::StrCat("top_k must be >= 1, got ", top_k));
  if (question.find_first_not_of(" \t\n") == std::string::npos) {
    return absl::InvalidArgumentError("the question is empty");
  }
  if (inputs.max_text_length < 2) {
    return absl::InvalidArgumentError(absl::StrCat("max_text_length must be >= 2, got ", inputs.max_text_length));
  }
  SOHO_ASSIGN_OR_RETURN(const std::string bytes, ReadFileToString(image_path));
  data::Rng rng(0);  // the test scale is a single scale: nothing is drawn
  SOHO_ASSIGN_OR_RETURN(const cv::Mat image, inputs.pipeline->Prepare(bytes, image_path, &rng));
  const ImageBatch batch = inputs.pipeline->Collate({image});
  const data::Encoding encoding = inputs.tokenizer->Encode(question, inputs.max_text_length);
  const int64_t length = inputs.max_text_length;
  at::Tensor ids = at::empty({1, length}, at::kLong), mask = at::empty({1, length}, at::kLong);
  for (int64_t t = 0; t < length; ++t) {
    ids.data_ptr<int64_t>()[t] = encoding.ids[t];
    mask.data_ptr<int64_t>()[t] = encoding.attention_mask[t];
  }

  ScopedEvalMode eval_mode(*model);
  at::NoGradGuard no_grad;
  const c10::Device device = DeviceOf(*model);
  const at::Tensor logits = model->forward({batch.images.to(device), batch.valid_hw.to(device)},
                                           {ids.to(device), mask.to(device)});
  SOHO_RETURN_IF_ERROR(CheckAnswerCount(logits, *inputs.answers, "the answer vocabulary"));
  std::vector<VqaPrediction> out;
  AppendTopAnswers(logits, {0}, *inputs.answers, top_k, &out);
  return out.front();
}

}  // namespace soho::eval
