// state_dict io: our checkpoints in Python's torch.load, Python's torch.save files (zip and
// legacy, official-SOHO / torchvision / Hugging Face layouts) here, with load reports.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "soho/common/file_util.h"
#include "soho/model/bert.h"
#include "soho/common/temp_path.h"
#include "soho/model/python_reference.h"
#include "soho/model/resnet.h"
#include "soho/model/soho_model.h"
#include "soho/model/tiny_model_config.h"
#include "soho/model/torch_file.h"
#include "soho/model/weights.h"

namespace soho::model {
namespace {

using testing::RunPython;
using soho::testing::TempPath;
using testing::TensorMap;

// ------------------------------------------------------------------ weights and interop

TEST(WeightsTest, OurCheckpointLoadsBackHere) {
  // SaveStateDict's files (torch::jit::pickle_save: the zip format, the dict wrapped in
  // torch.jit._pickle.restore_type_tag) read back completely, values and tie included.
  torch::manual_seed(26);
  SohoPretrainModel model(TinyModelConfig(proto::NeckConfig::PRETRAIN_GATE));
  const auto tied = model->tied_weights();
  const std::string ours = TempPath(".pth");
  ASSERT_TRUE(SaveStateDict(CollectStateDict(*model, tied), ours).ok());
  torch::manual_seed(27);
  SohoPretrainModel fresh(TinyModelConfig(proto::NeckConfig::PRETRAIN_GATE));
  auto report = LoadWeightsFile(*fresh, ours, tied);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->complete()) << report->ToString();
  for (const auto& [key, tensor] : CollectStateDict(*model, tied)) {
    bool found = false;
    for (const auto& [fresh_key, fresh_tensor] : CollectStateDict(*fresh, tied)) {
      if (fresh_key != key) continue;
      found = true;
      EXPECT_TRUE(fresh_tensor.equal(tensor)) << key;
    }
    EXPECT_TRUE(found) << key;
  }
}

TEST(WeightsTest, OurCheckpointLoadsInPythonAndPythonsLoadsHereWithAReport) {
  torch::manual_seed(25);
  SohoPretrainModel model(TinyModelConfig(proto::NeckConfig::PRETRAIN_GATE));
  const auto tied = model->tied_weights();
  const StateDict state = CollectStateDict(*model, tied);
  const std::string ours = TempPath(".pth");
  ASSERT_TRUE(SaveStateDict(state, ours).ok());
  // Written through a temporary file that was renamed: nothing else is left beside it.
  const std::filesystem::path saved(ours);
  for (const auto& entry : std::filesystem::directory_iterator(saved.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().rfind(saved.filename().string() + ".tmp", 0),
              std::string::npos);
  }

  // Python: check what it reads, then write an official-SOHO-style checkpoint with every
  // tensor doubled, one key dropped, one added, one reshaped, the tied alias only.
  const std::string theirs = TempPath(".pth");
  TensorMap python = RunPython(R"(
import collections
sd = torch.load(args[0])
outputs['num_keys'] = torch.tensor(len(sd))
outputs['tracked_ok'] = torch.tensor(sd['neck.conv.bn.num_batches_tracked'].dtype == torch.int64
                                     and sd['neck.conv.bn.num_batches_tracked'].dim() == 0)
outputs['tied_equal'] = torch.tensor(bool(torch.equal(
    sd['mask_l_fc.weight'], sd['language.bert.embeddings.word_embeddings.weight'])))
outputs['embed'] = sd['neck.vq.embed']
new = collections.OrderedDict()
for k, v in sd.items():
    if k in ('head.match_class.weight', 'language.bert.embeddings.word_embeddings.weight'):
        continue
    new[k] = v * 2 if v.is_floating_point() else v
new['neck.pos_line.bias'] = torch.zeros(3)
new['extra.weight'] = torch.ones(2)
torch.save({'meta': {'epoch': 40, 'config': 'x'}, 'state_dict': new}, args[1])
)",
                               {}, {ours, theirs});
  EXPECT_EQ(python.at("num_keys").item<int64_t>(), static_cast<int64_t>(state.size()));
  EXPECT_TRUE(python.at("tracked_ok").item<bool>());
  EXPECT_TRUE(python.at("tied_equal").item<bool>());
  EXPECT_TRUE(python.at("embed").equal(model->neck->vq->embed));

  SohoPretrainModel fresh(TinyModelConfig(proto::NeckConfig::PRETRAIN_GATE));
  auto report = LoadWeightsFile(*fresh, theirs, tied);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->missing, std::vector<std::string>{"head.match_class.weight"});
  EXPECT_EQ(report->unexpected, std::vector<std::string>{"extra.weight"});
  ASSERT_EQ(report->shape_mismatched.size(), 1u);
  EXPECT_EQ(report->shape_mismatched[0].rfind("neck.pos_line.bias: file [3] vs model [32]", 0), 0u);
  EXPECT_FALSE(report->complete());
  // Values arrived (doubled); the word embeddings came in through the tied alias.
  EXPECT_TRUE(fresh->neck->vq->embed.equal(model->neck->vq->embed * 2));
  EXPECT_TRUE(fresh->language->word_embedding_weight().equal(model->language->word_embedding_weight() * 2));
  EXPECT_TRUE(fresh->backbone->layer2[0]->as<BasicBlock>()->bn1->running_var.equal(
      model->backbone->layer2[0]->as<BasicBlock>()->bn1->running_var * 2));
}

TEST(WeightsTest, TorchvisionAndHuggingFaceKeysAreMapped) {
  torch::manual_seed(26);
  const std::string resnet = TempPath(".pth");
  const std::string bert = TempPath(".bin");
  RunPython(R"(
torch.save({'conv1.weight': torch.full((64, 3, 7, 7), 0.5), 'bn1.running_mean': torch.full((64,), 0.25),
            'fc.weight': torch.zeros(1000, 512), 'fc.bias': torch.zeros(1000)}, args[0])
torch.save({'bert.embeddings.word_embeddings.weight': torch.full((40, 32), 0.125),
            'bert.encoder.layer.0.attention.output.LayerNorm.gamma': torch.full((32,), 3.0),
            'bert.encoder.layer.0.attention.output.LayerNorm.beta': torch.full((32,), -1.0),
            'bert.pooler.dense.bias': torch.zeros(32), 'cls.predictions.bias': torch.zeros(40)}, args[1])
)",
            {}, {resnet, bert});
  SohoVqaModel model(TinyModelConfig(proto::NeckConfig::VQA));
  auto from_resnet = LoadWeightsFile(*model, resnet);
  ASSERT_TRUE(from_resnet.ok()) << from_resnet.status();
  EXPECT_EQ(from_resnet->loaded, (std::vector<std::string>{"backbone.conv1.weight", "backbone.bn1.running_mean"}));
  EXPECT_EQ(from_resnet->unexpected, (std::vector<std::string>{"backbone.fc.weight", "backbone.fc.bias"}));
  EXPECT_TRUE(model->backbone->conv1->weight.eq(0.5).all().item<bool>());

  auto from_bert = LoadWeightsFile(*model, bert);
  ASSERT_TRUE(from_bert.ok()) << from_bert.status();
  EXPECT_EQ(from_bert->loaded.size(), 3u);
  EXPECT_EQ(from_bert->unexpected.size(), 2u);
  auto& layer = *model->language->bert->encoder->layer[0]->as<BertLayer>();
  EXPECT_TRUE(layer.attention->output->LayerNorm->weight.eq(3).all().item<bool>());
  EXPECT_TRUE(layer.attention->output->LayerNorm->bias.eq(-1).all().item<bool>());
  EXPECT_TRUE(model->language->word_embedding_weight().eq(0.125).all().item<bool>());
}

TEST(WeightsTest, CollectStateDictListsKeysInPyTorchOrder) {
  ResNetOptions options;
  ResNet net(options);
  const StateDict state = CollectStateDict(*net);
  const std::vector<std::string> expected = {
      "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
      "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.0.bn1.weight"};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(state[i].first, expected[i]);
  EXPECT_EQ(state.back().first, "layer4.1.bn2.num_batches_tracked");
}

TEST(WeightsTest, LegacyFormatParametersAndSharedStorages) {
  // Pre-1.6 format (old torchvision / Hugging Face files), an nn.Parameter, a one-entry
  // nested dict, a non-contiguous view sharing its storage, and int64 / bool / half dtypes.
  const std::string legacy = TempPath(".pth");
  const std::string zip = TempPath(".pth");
  RunPython(R"(
base = torch.arange(12, dtype=torch.float32).view(3, 4)
sd = {'w': torch.nn.Parameter(base), 't': base.t(), 'n': torch.tensor(7),
      'b': torch.tensor([True, False]), 'h': torch.tensor([0.5, -2.0], dtype=torch.float16),
      'nested': {'only': torch.ones(1)}, 'meta': {'lr': 0.1, 'steps': [1, 2], 'name': 'x'}}
torch.save(sd, args[0], _use_new_zipfile_serialization=False)
torch.save(sd, args[1])
)",
            {}, {legacy, zip});
  for (const std::string& path : {legacy, zip}) {
    auto root = ReadTorchFile(path);
    ASSERT_TRUE(root.ok()) << root.status();
    const auto dict = root->toGenericDict();
    const at::Tensor base = at::arange(12, at::kFloat).view({3, 4});
    EXPECT_TRUE(dict.at("w").toTensor().equal(base)) << path;
    EXPECT_TRUE(dict.at("t").toTensor().equal(base.t())) << path;
    EXPECT_EQ(dict.at("n").toTensor().item<int64_t>(), 7);
    EXPECT_EQ(dict.at("n").toTensor().dim(), 0);
    EXPECT_TRUE(dict.at("b").toTensor().equal(at::tensor({1, 0}, at::kLong).to(at::kBool)));
    EXPECT_EQ(dict.at("h").toTensor().scalar_type(), at::kHalf);
    EXPECT_EQ(dict.at("h").toTensor()[1].item<double>(), -2.0);
    EXPECT_TRUE(dict.at("nested").toGenericDict().at("only").toTensor().equal(at::ones({1})));
    const auto meta = dict.at("meta").toGenericDict();
    EXPECT_DOUBLE_EQ(meta.at("lr").toDouble(), 0.1);
    EXPECT_EQ(meta.at("name").toStringRef(), "x");
    EXPECT_EQ(meta.at("steps").toListRef().size(), 2u);
  }
}

TEST(WeightsTest, UnreadableFilesAreErrorsNamingThePath) {
  EXPECT_EQ(ReadStateDict("/nonexistent/weights.pth").status().code(), absl::StatusCode::kNotFound);
  const std::string garbage = TempPath(".pth");
  ASSERT_TRUE(WriteFileAtomically(garbage, "PK not really a zip").ok());
  auto state = ReadStateDict(garbage);
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find(garbage), std::string::npos);
}

// What Hugging Face ships by default. The file is written by a few lines of Python (struct +
// json, the format's spec) rather than by our reader's own logic.
constexpr char kWriteSafetensors[] = R"(
import json, struct
tensors = {"bert.embeddings.word_embeddings.weight": inputs["words"], "bert.pooler.dense.bias": inputs["bias"]}
dtypes = {torch.float32: "F32", torch.int64: "I64"}
header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
for name, t in tensors.items():
    raw = t.contiguous().numpy().tobytes()
    header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
text = json.dumps(header).encode()
with open(args[0], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
)";

TEST(WeightsTest, SafetensorsFilesReadWithKeysMapped) {
  const std::string path = TempPath(".safetensors");
  const at::Tensor words = at::randn({5, 3});
  const at::Tensor bias = at::arange(3, at::kLong);
  RunPython(kWriteSafetensors, {{"words", words}, {"bias", bias}}, {path});
  auto state = ReadStateDict(path);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->size(), 2u);
  EXPECT_EQ((*state)[0].first, "bert.embeddings.word_embeddings.weight");
  EXPECT_TRUE((*state)[0].second.equal(words));
  EXPECT_TRUE((*state)[1].second.equal(bias));
  EXPECT_EQ(DetectWeightsFormat(*state), WeightsFormat::kHuggingFaceBert);

  // Truncated: the data no longer holds what the header promises; named, not "pickle".
  auto bytes = ReadFileToString(path);
  ASSERT_TRUE(bytes.ok());
  const std::string truncated = TempPath(".safetensors");
  ASSERT_TRUE(WriteFileAtomically(truncated, bytes->substr(0, bytes->size() - 4)).ok());
  auto bad = ReadStateDict(truncated);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(truncated), std::string::npos);
  EXPECT_NE(bad.status().message().find("safetensors"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("bert.pooler.dense.bias"), std::string::npos) << bad.status();
}

}  // namespace
}  // namespace soho::model
