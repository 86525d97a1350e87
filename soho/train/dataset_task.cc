#include "soho/train/dataset_task.h"

#include "absl/strings/str_cat.h"

namespace soho::train {

absl::StatusOr<std::shared_ptr<const data::BertTokenizer>> LoadTokenizer(const proto::DataConfig& data) {
  auto tokenizer = data::BertTokenizer::Create(data.vocab_file(), data.lower_case());
  if (!tokenizer.ok()) return absl::Status(tokenizer.status().code(), absl::StrCat("data.vocab_file: ", tokenizer.status().message()));
  return std::shared_ptr<const data::BertTokenizer>(std::move(*tokenizer));
}

absl::Status CheckVocabularyFits(const proto::SohoConfig& config, const data::BertTokenizer& tokenizer) {
  if (tokenizer.vocab().size() <= config.model().transformer().vocab_size()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("model.transformer.vocab_size is ",
                                                 config.model().transformer().vocab_size(), " but data.vocab_file ",
                                                 config.data().vocab_file(), " has ", tokenizer.vocab().size(),
                                                 " tokens"));
}

ImageBatch ImagesOn(const ImageBatch& images, c10::Device device) {
  return {images.images.to(device, /*non_blocking=*/true), images.valid_hw.to(device, /*non_blocking=*/true)};
}

}  // namespace soho::train
