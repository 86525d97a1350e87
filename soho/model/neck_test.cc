// Visual Dictionary, grid mask, position encoding and neck tests: hand-computed values and
// parity with an independent PyTorch computation of the reference neck.
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include "soho/model/grid_mask.h"
#include "soho/model/necks.h"
#include "soho/model/position_encoding.h"
#include "soho/model/python_reference.h"
#include "soho/model/visual_dictionary.h"

namespace soho::model {
namespace {

using testing::RunPython;
using testing::TensorMap;

void ExpectClose(const at::Tensor& actual, const at::Tensor& expected, double tol = 1e-5) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  const double diff = (actual.to(at::kDouble) - expected.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LE(diff, tol) << "max abs diff " << diff;
}

// ------------------------------------------------------------------- Visual Dictionary

VisualDictionaryOptions ThreeEntries() {
  VisualDictionaryOptions options;
  options.num_tokens = 3;
  options.dim = 2;
  options.decay = 0.25;
  options.decay_ramp = true;
  return options;
}

void SetEmbed(VisualDictionary& vd) {
  at::NoGradGuard no_grad;
  vd->embed.copy_(at::tensor({0.f, 0.f, 10.f, 0.f, 0.f, 10.f}).view({3, 2}));
}

const at::Tensor& Features() {
  static const at::Tensor features =
      at::tensor({1.f, 1.f, 9.f, 1.f, 8.f, -1.f, 1.f, 9.f}).view({4, 2});
  return features;
}

TEST(VisualDictionaryTest, AssignsNearestEntryAndUpdatesMovingAverages) {
  VisualDictionary vd(ThreeEntries());
  SetEmbed(vd);
  vd->SetIteration(2);  // decay 0.25 * 2 = 0.5
  EXPECT_DOUBLE_EQ(vd->current_decay(), 0.5);
  vd->train();
  auto out = vd->forward(Features());
  EXPECT_TRUE(out.indices.equal(at::tensor({0, 1, 1, 2}, at::kLong)));

  // By hand: counts (1, 2, 1); sums (1,1), (17,0), (1,9); decay 0.5 from zero buffers.
  ExpectClose(vd->cluster_sum, at::tensor({1.f, 2.f, 1.f}), 0);
  ExpectClose(vd->cluster_size, at::tensor({0.5f, 1.f, 0.5f}), 1e-7);
  ExpectClose(vd->embed_avg, at::tensor({0.5f, 0.5f, 8.5f, 0.f, 0.5f, 4.5f}).view({3, 2}), 1e-7);
  // Laplace smoothing: n = 2, cs = (size + eps) / (n + 3 eps) * n; embed = embed_avg / cs.
  const double eps = 1e-5, n = 2;
  const double sizes[] = {0.5, 1, 0.5};
  const double avg[3][2] = {{0.5, 0.5}, {8.5, 0}, {0.5, 4.5}};
  std::vector<float> expected;
  for (int k = 0; k < 3; ++k) {
    const double cs = (sizes[k] + eps) / (n + 3 * eps) * n;
    for (int d = 0; d < 2; ++d) expected.push_back(static_cast<float>(avg[k][d] / cs));
  }
  const at::Tensor expected_embed = at::tensor(expected).view({3, 2});
  ExpectClose(vd->embed, expected_embed, 1e-6);
  // The quantized values come from the updated dictionary.
  ExpectClose(out.quantized, expected_embed.index_select(0, out.indices), 1e-5);
}

TEST(VisualDictionaryTest, NearestEntryIsChosenInFloat32UnderBf16Autocast) {
  torch::manual_seed(5);
  VisualDictionaryOptions options;
  options.num_tokens = 64;
  options.dim = 32;
  VisualDictionary vq(options);
  vq->eval();
  const at::Tensor x = at::randn({512, 32});
  const at::Tensor expected = vq(x).indices;
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
  const VisualDictionaryImpl::Output out = vq(x);
  at::autocast::set_cpu_enabled(false);
  // With bfloat16 distances about 2% of these rows pick another entry (11 of 512 in PyTorch
  // under the same autocast); in float32 none does.
  EXPECT_TRUE(out.indices.equal(expected));
  EXPECT_EQ(out.quantized.scalar_type(), at::kFloat);
}

TEST(VisualDictionaryTest, EvalModeLeavesBuffersAlone) {
  VisualDictionary vd(ThreeEntries());
  SetEmbed(vd);
  vd->eval();
  const at::Tensor before = vd->embed.clone();
  auto out = vd->forward(Features());
  EXPECT_TRUE(vd->embed.equal(before));
  EXPECT_EQ(vd->cluster_sum.sum().item<double>(), 0);
  ExpectClose(out.quantized, before.index_select(0, out.indices), 1e-6);
}

TEST(VisualDictionaryTest, StraightThroughGradientReachesTheInput) {
  VisualDictionary vd(ThreeEntries());
  SetEmbed(vd);
  vd->eval();
  at::Tensor x = Features().clone().requires_grad_();
  const at::Tensor weight = at::randn({4, 2});
  (vd->forward(x).quantized * weight).sum().backward();
  ExpectClose(x.grad(), weight, 1e-6);
  EXPECT_FALSE(vd->embed.requires_grad());
}

TEST(VisualDictionaryTest, DecayStaysConstantByDefault) {
  VisualDictionary vd(VisualDictionaryOptions{});  // as the released reference runs
  vd->SetIteration(5);
  EXPECT_DOUBLE_EQ(vd->current_decay(), 0.4);
}

TEST(VisualDictionaryTest, DecayRamp) {
  VisualDictionaryOptions options;  // decay 0.4, max 0.99
  options.decay_ramp = true;
  VisualDictionary vd(options);
  EXPECT_DOUBLE_EQ(vd->current_decay(), 0.4);
  vd->SetIteration(2);
  EXPECT_DOUBLE_EQ(vd->current_decay(), 0.8);
  vd->SetIteration(3);
  EXPECT_DOUBLE_EQ(vd->current_decay(), 0.99);
}

// Two identical ranks: every all-reduce doubles the tensors.
class TwoIdenticalRanks : public Collective {
 public:
  int world_size() const override { return 2; }
  int rank() const override { return 0; }
  void AllReduceSum(std::vector<at::Tensor>& tensors) override {
    calls.push_back({});
    for (auto& t : tensors) {
      calls.back().push_back(t.clone());
      t.mul_(2);
    }
  }
  std::vector<std::vector<at::Tensor>> calls;
};

TEST(VisualDictionaryTest, StatisticsAreSummedOverRanks) {
  auto ranks = std::make_shared<TwoIdenticalRanks>();
  VisualDictionary vd(ThreeEntries(), ranks);
  SetEmbed(vd);
  vd->SetIteration(2);
  vd->train();
  vd->forward(Features());
  ASSERT_EQ(ranks->calls.size(), 2u);  // statistics, then the new dictionary (averaged)
  ExpectClose(ranks->calls[0][0], at::tensor({1.f, 2.f, 1.f}), 0);
  ExpectClose(vd->cluster_sum, at::tensor({2.f, 4.f, 2.f}), 0);
  // Twice the counts and sums: the single-process dictionary up to the Laplace smoothing
  // (whose eps is not scaled with the counts).
  VisualDictionary single(ThreeEntries());
  SetEmbed(single);
  single->SetIteration(2);
  single->train();
  single->forward(Features());
  ExpectClose(vd->embed, single->embed, 1e-4);
}

// ------------------------------------------------------------- grid mask and position

TEST(GridMaskTest, MatchesPyTorchNearestInterpolationOfThePixelMask) {
  struct Case {
    int64_t padded_h, padded_w, grid_h, grid_w;
  };
  for (const Case& c : {Case{64, 96, 1, 1}, Case{608, 1024, 9, 16}, Case{600, 992, 9, 15},
                        Case{352, 640, 5, 10}, Case{100, 60, 7, 3}}) {
    const std::vector<int64_t> sizes = {c.padded_h,      c.padded_w,      c.padded_h / 2 + 3,
                                        c.padded_w - 17, c.padded_h - 40, c.padded_w / 3,
                                        1,               1};
    const at::Tensor valid_hw = at::tensor(sizes, at::kLong).view({4, 2});
    at::Tensor pixels = at::zeros({4, 1, c.padded_h, c.padded_w});
    for (int64_t i = 0; i < 4; ++i) {
      pixels[i][0]
          .slice(0, 0, valid_hw[i][0].item<int64_t>())
          .slice(1, 0, valid_hw[i][1].item<int64_t>())
          .fill_(1);
    }
    const at::Tensor expected =
        at::upsample_nearest2d(pixels, {c.grid_h, c.grid_w}).squeeze(1).to(at::kBool);
    EXPECT_TRUE(GridValidMask(valid_hw, c.padded_h, c.padded_w, c.grid_h, c.grid_w).equal(expected))
        << c.padded_h << "x" << c.padded_w << " -> " << c.grid_h << "x" << c.grid_w;
  }
}

TEST(PositionEncodingTest, NormalizedByEachImagesValidExtent) {
  // Grid 3x4, valid area 2 rows x 3 columns; 8 channels: 4 for y, 4 for x with
  // d = (1, 1, 100, 100): code(e) = (sin e, cos e, sin(e/100), cos(e/100)).
  at::Tensor mask = at::zeros({1, 3, 4}, at::kBool);
  mask[0].slice(0, 0, 2).slice(1, 0, 3).fill_(true);
  const at::Tensor pos = SinePositionEncoding(mask, 8);
  ASSERT_EQ(pos.sizes(), (at::IntArrayRef{1, 8, 3, 4}));
  auto code = [](double e) {
    return at::tensor({std::sin(e), std::cos(e), std::sin(e / 100), std::cos(e / 100)}, at::kDouble);
  };
  const double two_pi = 2 * M_PI, eps = 1e-6;
  auto at_cell = [&](int y, int x) { return pos[0].select(2, x).select(1, y); };  // [8]
  // (0, 0): y = 1 of 2 rows, x = 1 of 3 columns.
  ExpectClose(at_cell(0, 0), at::cat({code(1 / (2 + eps) * two_pi), code(1 / (3 + eps) * two_pi)}), 1e-6);
  // (1, 2): the last valid cell: 2 of 2 and 3 of 3 (2 pi up to eps).
  ExpectClose(at_cell(1, 2), at::cat({code(2 / (2 + eps) * two_pi), code(3 / (3 + eps) * two_pi)}), 1e-6);
  // (0, 3): a padded column: both cumulative counts along it are 0 -> code(0) for y, while
  // x keeps the row's count 3 of 3.
  ExpectClose(at_cell(0, 3), at::cat({code(0), code(3 / (3 + eps) * two_pi)}), 1e-6);
}

TEST(NeckTest, SelectMaskedCellsByHand) {
  // Two samples, grid 2x3. Position 4 = (row 1, col 1).
  const at::Tensor labels = at::tensor({5, 7, 5, 1, 5, 9,   //
                                        2, 2, 3, 2, 4, 2}, at::kLong).view({2, 2, 3});
  at::Tensor valid = at::ones({2, 2, 3}, at::kBool);
  valid[0][0][2] = false;  // a padded cell with the same index is not masked
  const at::Tensor both = at::tensor({1.f, 1.f});
  const at::Tensor masked = SelectMaskedCells(labels, valid, 4, both);
  // Sample 0: index 5 at (0,0), (1,1) [(0,2) padded]. Sample 1: index 4 at (1,1) only.
  const at::Tensor expected = at::tensor({1, 0, 0, 0, 1, 0,  //
                                          0, 0, 0, 0, 1, 0}, at::kLong).view({2, 2, 3}).to(at::kBool);
  EXPECT_TRUE(masked.equal(expected));
  // Sample selection switches a sample off entirely.
  EXPECT_FALSE(SelectMaskedCells(labels, valid, 4, at::tensor({0.f, 1.f}))[0].any().item<bool>());
}

NeckOptions TinyNeck(bool with_gate) {
  NeckOptions options;
  options.in_channels = 6;
  options.out_channels = 8;
  options.with_gate = with_gate;
  options.dictionary.num_tokens = 5;
  options.dictionary.dim = 8;
  return options;
}

ImageGeometry TwoImages() {
  // Padded batch 128x192 -> C5 4x6 -> grid 2x3. Image 0 fills it; image 1 is 60x100.
  return {at::tensor({128, 192, 60, 100}, at::kLong).view({2, 2}), 128, 192};
}

TEST(NeckTest, NamesFollowTheReference) {
  PretrainNeck gate(TinyNeck(true));
  std::map<std::string, bool> names;
  for (const auto& item : gate->named_parameters()) names[item.key()] = true;
  for (const auto& item : gate->named_buffers()) names[item.key()] = true;
  for (const char* key :
       {"conv.conv.weight", "conv.bn.weight", "conv.bn.running_mean", "conv.bn.num_batches_tracked",
        "vq.embed", "vq.cluster_size", "vq.cluster_sum", "vq.embed_avg", "pos_line.weight",
        "pos_line.bias", "gate_fc.conv.weight", "gate_fc.bn.bias", "mask_emb.weight", "ln.weight",
        "ln.bias"}) {
    EXPECT_TRUE(names.count(key)) << key;
  }
  EXPECT_FALSE(names.count("conv.conv.bias"));
  PretrainNeck plain(TinyNeck(false));
  EXPECT_FALSE(plain->named_parameters().contains("gate_fc.conv.weight"));
}

TEST(NeckTest, MaskedCellsTakeTheMaskEmbeddingAndCarryTheirLabels) {
  torch::manual_seed(11);
  NeckOptions options = TinyNeck(true);
  options.mask_prob = 1.0;  // every sample masked
  PretrainNeck neck(options);
  neck->train();
  const at::Tensor c5 = at::randn({2, 6, 4, 6});
  const ImageGeometry geometry = TwoImages();
  VisualTokens out = neck->forward(c5, geometry, /*group=*/2);
  ASSERT_EQ(out.tokens.sizes(), (at::IntArrayRef{4, 6, 8}));
  // Image 1 (rows 2, 3): grid cells read pixel rows (0, 64) and columns (0, 64, 128), so
  // its 60x100 area covers grid row 0 and columns 0, 1.
  EXPECT_TRUE(out.mask.equal(at::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                         1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0}, at::kLong).view({4, 6})));
  // No padded cell is masked; samples 0 and 1 (image 0, no padding) always have one.
  const at::Tensor masked = out.mvm_labels.ge(0);
  EXPECT_FALSE(masked.logical_and(out.mask.eq(0)).any().item<bool>());
  EXPECT_TRUE(masked[0].any().item<bool>() && masked[1].any().item<bool>());
  // All masked cells of one sample share one label.
  for (int64_t i = 0; i < 4; ++i) {
    const at::Tensor labels = out.mvm_labels[i].masked_select(masked[i]);
    if (labels.numel() > 0) EXPECT_TRUE(labels.eq(labels[0]).all().item<bool>());
  }
  // A masked token is LayerNorm(mask_emb + position code): identical for two masked cells
  // only through the position, so check one directly.
  const at::Tensor pos = SinePositionEncoding(out.mask.view({4, 2, 3}).to(at::kBool), 8);
  const int64_t cell = masked[0].nonzero()[0][0].item<int64_t>();
  const at::Tensor expected = at::layer_norm(
      neck->mask_emb->weight[0] + pos[0].flatten(1).select(1, cell), {8}, neck->ln->weight,
      neck->ln->bias, 1e-5);
  ExpectClose(out.tokens[0][cell], expected, 1e-5);
}

TEST(NeckTest, BatchNormSeamReplacesHowEveryNeckBatchNormIsApplied) {
  torch::manual_seed(14);
  PretrainNeck neck(TinyNeck(true));
  neck->eval();
  const at::Tensor c5 = at::randn({2, 6, 4, 6});
  const at::Tensor local = neck->forward(c5, TwoImages()).tokens;
  int calls = 0;
  neck->SetBatchNormFn([&calls](torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) {
    ++calls;
    return bn.forward(x);
  });
  EXPECT_TRUE(neck->forward(c5, TwoImages()).tokens.equal(local));
  EXPECT_EQ(calls, 2);  // conv.bn and gate_fc.bn
}

TEST(NeckTest, EvalModeIsDeterministicWithoutMasking) {
  torch::manual_seed(12);
  PretrainNeck neck(TinyNeck(true));
  neck->eval();
  const at::Tensor c5 = at::randn({2, 6, 4, 6});
  VisualTokens a = neck->forward(c5, TwoImages());
  VisualTokens b = neck->forward(c5, TwoImages());
  EXPECT_TRUE(a.tokens.equal(b.tokens));
  EXPECT_TRUE(a.mvm_labels.eq(-100).all().item<bool>());
}

// The reference necks, written out in PyTorch (pixel mask with real H and W).
constexpr char kPythonNeck[] = R"(
p = inputs
c5, valid = p['c5'], p['valid_hw']
H, W = 128, 192
def bn(x, prefix):
    return F.batch_norm(x, p[prefix + 'running_mean'], p[prefix + 'running_var'],
                        p[prefix + 'weight'], p[prefix + 'bias'], False, 0.1, 1e-5)
x = F.max_pool2d(c5, 2, stride=2)
xq = bn(F.conv2d(x, p['conv.conv.weight']), 'conv.bn.')
b, c, h, w = xq.shape
mask = torch.zeros(b, 1, H, W)
for i in range(b):
    mask[i, 0, :int(valid[i, 0]), :int(valid[i, 1])] = 1
mask = F.interpolate(mask, size=(h, w)).to(torch.bool)[:, 0]
y_embed = mask.cumsum(1, dtype=torch.float32)
x_embed = mask.cumsum(2, dtype=torch.float32)
y_embed = y_embed / (y_embed[:, -1:, :] + 1e-6) * 2 * math.pi
x_embed = x_embed / (x_embed[:, :, -1:] + 1e-6) * 2 * math.pi
dim_t = torch.arange(c // 2, dtype=torch.float32)
dim_t = 10000 ** (2 * (dim_t // 2) / (c // 2))
pos_x = x_embed[:, :, :, None] / dim_t
pos_y = y_embed[:, :, :, None] / dim_t
pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
def ln(t):
    return F.layer_norm(t, (c,), p['ln.weight'], p['ln.bias'], 1e-5)
outputs['vqa'] = ln((xq + pos).view(b, c, h * w).permute(0, 2, 1))
flat = xq.permute(0, 2, 3, 1).reshape(-1, c)
embed = p['vq.embed']
d = (flat ** 2).sum(1, keepdim=True) + (embed ** 2).sum(1) - 2 * flat @ embed.t()
q = F.linear(embed[d.argmin(1)], p['pos_line.weight'], p['pos_line.bias'])
q = q.view(b, h * w, c).permute(0, 2, 1).view(b, c, h, w)
s = F.softmax(bn(F.conv2d(torch.cat([q, xq], 1), p['gate_fc.conv.weight']), 'gate_fc.bn.'), dim=1)
v = q * s[:, 0:1] + xq * s[:, 1:2]
outputs['pretrain'] = ln((v + pos).permute(0, 2, 3, 1)).reshape(b, h * w, c)
outputs['mask'] = mask.reshape(b, -1).long()
)";

TEST(NeckTest, MatchesIndependentPyTorchComputation) {
  torch::manual_seed(13);
  PretrainNeck neck(TinyNeck(true));
  {
    at::NoGradGuard no_grad;
    for (auto& p : neck->parameters()) p.normal_(0, 0.5);
    for (auto& item : neck->named_buffers()) {
      if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 1.5);
      if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.1);
    }
  }
  neck->eval();
  TensorMap inputs;
  for (const auto& item : neck->named_parameters()) inputs[item.key()] = item.value();
  for (const auto& item : neck->named_buffers()) inputs[item.key()] = item.value();
  inputs["c5"] = at::randn({2, 6, 4, 6});
  inputs["valid_hw"] = TwoImages().valid_hw;
  TensorMap expected = RunPython(kPythonNeck, inputs);

  VisualTokens pre = neck->forward(inputs["c5"], TwoImages());
  ExpectClose(pre.tokens, expected["pretrain"], 1e-5);
  EXPECT_TRUE(pre.mask.equal(expected["mask"]));

  // The VQA neck's parameters share the pre-training neck's names (conv.*, ln.*).
  VqaNeck vqa(TinyNeck(true));
  {
    at::NoGradGuard no_grad;
    for (auto& item : vqa->named_parameters()) item.value().copy_(inputs.at(item.key()));
    for (auto& item : vqa->named_buffers()) item.value().copy_(inputs.at(item.key()));
  }
  vqa->eval();
  VisualTokens tokens = vqa->forward(inputs["c5"], TwoImages());
  ExpectClose(tokens.tokens, expected["vqa"], 1e-5);
  EXPECT_TRUE(tokens.mask.equal(expected["mask"]));
  EXPECT_FALSE(tokens.mvm_labels.defined());
}

}  // namespace
}  // namespace soho::model
