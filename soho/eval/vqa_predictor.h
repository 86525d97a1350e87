#pragma once
// Running a SohoVqaModel to answers: over a whole VqaDataset split (the trainer's
// validation and `eval --split`), or on one image file and one question (`eval --image`).
//
//   eval::VqaPredictorOptions options = eval::VqaPredictorOptions::FromConfig(config.data());
//   SOHO_ASSIGN_OR_RETURN(eval::VqaSplitPredictions out, eval::PredictVqaSplit(model, *val_set, options));
//   // out.predictions -> eval::ToVqaResults -> eval::ScoreVqa (official) or the submission file
//   // out.soft_score  -> the reference's VQA "score" (mean soft score of the arg-max answers)
//
// Both run under NoGradGuard with the model in eval mode, on the device of the model's
// parameters, and put the model back in the training mode it was in.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/data/vqa_dataset.h"
#include "soho/eval/vqa_predictions.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"

namespace soho::eval {

struct VqaPredictorOptions {
  int batch_size = 16;  // questions per forward pass (evaluation samples hold one question each)
  int num_workers = 2;  // loader threads; 0 loads in the calling thread
  int prefetch_batches = 4;
  int top_k = 5;        // answers kept per question (>= 1)
  // This process's share of the split (EvalBatches); the caller gathers the shares.
  int rank = 0;
  int world_size = 1;
  // Evaluation drops bad images (their questions get no prediction); more than this
  // fraction of the split dropped is an error.
  double max_skipped_fraction = 0.01;

  // data.eval_batch_size, num_workers, prefetch_batches, max_skipped_fraction.
  static VqaPredictorOptions FromConfig(const proto::DataConfig& data);
};

struct VqaSplitPredictions {
  std::vector<VqaPrediction> predictions;  // in dataset order
  // Mean over the predicted questions of the soft score (min(1, 0.3 n), from the converted
  // annotation) of the arg-max answer, x100. This is what the reference reports during
  // training; on splits without answers (test) it is 0 and means nothing. It equals the
  // official accuracy only up to answer normalization (see README.md).
  double soft_score = 0;
  int64_t skipped_questions = 0;  // dropped with their (bad) images
};

// Predicts every question of this rank's share of `dataset`, with progress and ETA in the log.
// Errors: options out of range, a dataset whose answer vocabulary is not the model's size,
// a failed batch, too many bad images.
absl::StatusOr<VqaSplitPredictions> PredictVqaSplit(model::SohoVqaModel& model, const data::VqaDataset& dataset,
                                                    const VqaPredictorOptions& options);

// What one image and one question need besides the model.
struct SingleQuestionInputs {
  const data::ImagePipeline* pipeline = nullptr;  // test-scale pipeline (ImagePipeline::Create(image, false))
  const data::BertTokenizer* tokenizer = nullptr;
  const data::AnswerVocab* answers = nullptr;
  int max_text_length = 16;
};

// The top_k answers for `question` about the image file `image_path` (read, decoded,
// resized to the test scale and normalized as in evaluation). question_id is 0.
// Errors name the file (missing, undecodable, too small) or say what is wrong.
absl::StatusOr<VqaPrediction> PredictVqaSingle(model::SohoVqaModel& model, const SingleQuestionInputs& inputs,
                                               const std::string& image_path, const std::string& question,
                                               int top_k);

}  // namespace soho::eval
