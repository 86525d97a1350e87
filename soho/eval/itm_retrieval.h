#pragma once
// Zero-shot image-text retrieval with a pre-trained SOHO model: every pair of N images and
// all their captions is scored by the image-text matching head, softmax(itm_logits)[1], the
// probability of "matches", and ranked (retrieval_recall.h). Cost: N backbone passes and
// N x (captions of N images) transformer passes, so N is small by default.
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/eval/retrieval_recall.h"
#include "soho/model/soho_model.h"
#include "soho/proto/config.pb.h"

namespace soho::eval {

struct ItmRetrievalOptions {
  int num_images = 100;       // the first N images of the split (in file order)
  int texts_per_pass = 128;   // captions scored against one image per forward pass
  std::vector<int> ks = {1, 5, 10};
};

struct ItmRetrievalResult {
  RetrievalRecall recall;
  int64_t skipped_images = 0;  // unreadable images, left out with their captions
};

// The ITM "match" probability of every (image, text) pair, row-major [images, texts].
// `images` from ImagePipeline::Collate (one or more images); each image is paired with all
// the texts. Text rows are [CLS] ... [SEP] encodings of max_text_length tokens.
// Runs in eval mode without gradient (the model's training flag is restored).
std::vector<float> ItmMatchScores(model::SohoPretrainModel& model, const ImageBatch& images,
                                  const std::vector<data::Encoding>& texts, int texts_per_pass);

// Retrieval among the first options.num_images images of the config's val split (pre-training
// annotations) and all their captions, images at the test scale. Errors: no val split, options
// out of range, unreadable annotation files, no usable image.
absl::StatusOr<ItmRetrievalResult> EvaluateItmRetrieval(model::SohoPretrainModel& model,
                                                        const proto::DataConfig& data,
                                                        const data::BertTokenizer& tokenizer,
                                                        const ItmRetrievalOptions& options);

}  // namespace soho::eval
