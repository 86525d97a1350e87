#include "soho/train/dataset_task.h"

#include <algorithm>

#include <ATen/ATen.h>

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

void SumOverRanks(const TaskPlacement& placement, std::vector<double>& values) {
  if (placement.collective == nullptr || placement.world_size <= 1 || values.empty()) return;
  // Float64 holds every count a split can have exactly; on the task's device, where the
  // collective's backend (NCCL on GPUs) expects its tensors.
  std::vector<at::Tensor> sums = {
      at::tensor(values, at::TensorOptions().dtype(at::kDouble)).to(placement.device)};
  placement.collective->AllReduceSum(sums);
  const at::Tensor host = sums[0].cpu();
  std::copy_n(host.data_ptr<double>(), values.size(), values.begin());
}

}  // namespace soho::train
