// Evaluation loads a checkpoint completely or not at all.
#include "soho/eval/checkpoint.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/common/temp_path.h"
#include "soho/model/soho_model.h"
#include "soho/model/tiny_model_config.h"

namespace soho::eval {
namespace {

using ::testing::HasSubstr;

using soho::testing::TempPath;

model::StateDict Without(const model::StateDict& state, const std::string& key_part) {
  model::StateDict out;
  for (const auto& [key, tensor] : state) {
    if (key.find(key_part) == std::string::npos) out.emplace_back(key, tensor);
  }
  return out;
}

TEST(CheckpointTest, LoadsACompleteCheckpointAndRefusesPartialOnes) {
  torch::manual_seed(3);
  model::SohoVqaModel saved(model::TinyModelConfig(proto::NeckConfig::VQA));
  const model::StateDict state = model::CollectStateDict(*saved);
  const std::string complete = TempPath("complete.pth");
  ASSERT_TRUE(model::SaveStateDict(state, complete).ok());

  model::SohoVqaModel fresh(model::TinyModelConfig(proto::NeckConfig::VQA));
  auto report = LoadCheckpointForEval(*fresh, complete);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->complete());
  EXPECT_TRUE(at::equal(fresh->head->vqa[3]->as<torch::nn::LinearImpl>()->weight,
                        saved->head->vqa[3]->as<torch::nn::LinearImpl>()->weight));
  EXPECT_THAT(SummarizeLoadReport(*report), HasSubstr(absl::StrCat(state.size(), " tensors loaded")));

  // Older PyTorch checkpoints have no BatchNorm counters: tolerated.
  const std::string no_counters = TempPath("no_counters.pth");
  ASSERT_TRUE(model::SaveStateDict(Without(state, "num_batches_tracked"), no_counters).ok());
  EXPECT_TRUE(LoadCheckpointForEval(*fresh, no_counters).ok());

  // A missing head: refused, naming the file and the missing keys.
  const std::string headless = TempPath("headless.pth");
  ASSERT_TRUE(model::SaveStateDict(Without(state, "head."), headless).ok());
  auto missing = LoadCheckpointForEval(*fresh, headless);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("headless.pth: does not fit the model"));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("missing 4 (head.vqa.0.bias, head.vqa.0.weight, head.vqa.3.bias, head.vqa.3.weight)"));

  // Another number of answers: a shape mismatch.
  proto::ModelConfig more_answers = model::TinyModelConfig(proto::NeckConfig::VQA);
  more_answers.mutable_head()->set_num_answers(7);
  model::SohoVqaModel other(more_answers);
  auto mismatched = LoadCheckpointForEval(*other, complete);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_THAT(std::string(mismatched.status().message()), HasSubstr("shape mismatched 2"));

  // A VQA checkpoint for the pre-training model: the dictionary, gate and ITM head are missing.
  model::SohoPretrainModel pretrain(model::TinyModelConfig(proto::NeckConfig::PRETRAIN_GATE));
  auto wrong_kind = LoadCheckpointForEval(*pretrain, complete, pretrain->tied_weights());
  ASSERT_FALSE(wrong_kind.ok());
  EXPECT_THAT(std::string(wrong_kind.status().message()), HasSubstr("complete.pth: does not fit the model"));

  // Nothing in common.
  const std::string unrelated = TempPath("unrelated.pth");
  ASSERT_TRUE(model::SaveStateDict({{"foo.weight", at::ones({2})}}, unrelated).ok());
  EXPECT_THAT(std::string(LoadCheckpointForEval(*fresh, unrelated).status().message()),
              HasSubstr("unrelated.pth: no tensor of the file fits the model"));

  // Not a checkpoint at all, or no file.
  const std::string text = TempPath("text.pth");
  ASSERT_TRUE(WriteFileAtomically(text, "hello").ok());
  EXPECT_THAT(std::string(LoadCheckpointForEval(*fresh, text).status().message()), HasSubstr("text.pth"));
  EXPECT_THAT(std::string(LoadCheckpointForEval(*fresh, TempPath("nope.pth")).status().message()),
              HasSubstr("nope.pth"));
}

}  // namespace
}  // namespace soho::eval
