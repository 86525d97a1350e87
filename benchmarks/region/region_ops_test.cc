// Hand-computed checks of the region baseline's geometry (anchors, box decoding, IoU, NMS,
// per-class NMS, region selection, RoIAlign) plus comparisons with straightforward scalar
// reference implementations written here, and the RPN's output contract on a tiny input.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "benchmarks/region/anchors.h"
#include "benchmarks/region/boxes.h"
#include "benchmarks/region/nms.h"
#include "benchmarks/region/roi_align.h"
#include "benchmarks/region/rpn.h"

namespace soho::bench::region {
namespace {

at::Tensor Boxes(const std::vector<std::vector<float>>& rows) {
  std::vector<float> flat;
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  return at::tensor(flat, at::kFloat).view({static_cast<int64_t>(rows.size()), -1});
}

std::vector<int64_t> ToVector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

void ExpectClose(const at::Tensor& actual, const at::Tensor& expected, double tol = 1e-4) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(at::allclose(actual, expected, tol, tol)) << "actual:\n" << actual << "\nexpected:\n" << expected;
}

TEST(AnchorsTest, CellAnchorsHaveTheSpecifiedSizesAndRatios) {
  const AnchorSpec spec;  // sizes 64..512, ratios 0.5, 1, 2
  const at::Tensor cell = CellAnchors(spec);
  ASSERT_EQ(cell.sizes(), (at::IntArrayRef{12, 4}));
  // size 64: w = sqrt(64^2 / 0.5) = 90.5097, h = 45.2548; ratio 1: 64 x 64; ratio 2: transposed.
  ExpectClose(cell.slice(0, 0, 3), Boxes({{-45.254834f, -22.627417f, 45.254834f, 22.627417f},
                                          {-32, -32, 32, 32},
                                          {-22.627417f, -45.254834f, 22.627417f, 45.254834f}}));
  ExpectClose(cell[4], Boxes({{-64, -64, 64, 64}})[0]);   // size 128, ratio 1
  ExpectClose(cell[10], Boxes({{-256, -256, 256, 256}})[0]);  // size 512, ratio 1
}

TEST(AnchorsTest, GridAnchorsAreLocationMajorWithStrideShifts) {
  const AnchorSpec spec;
  const at::Tensor grid = GridAnchors(spec, /*height=*/2, /*width=*/3);
  ASSERT_EQ(grid.sizes(), (at::IntArrayRef{2 * 3 * 12, 4}));
  // Row 1, column 2, anchor 1 (64 x 64): centre (2 * 16, 1 * 16) = (32, 16).
  ExpectClose(grid[(1 * 3 + 2) * 12 + 1], Boxes({{0, -16, 64, 48}})[0]);
  ExpectClose(grid[0], CellAnchors(spec)[0]);
}

TEST(BoxesTest, DecodeAppliesDeltasAsFasterRcnn) {
  // Box w 10, h 20, centre (5, 10); dx 0.1 -> centre x 6; dy -0.2 -> centre y 6; dw ln 2 -> w 20.
  const at::Tensor box = Boxes({{0, 0, 10, 20}});
  ExpectClose(DecodeBoxes(Boxes({{0.1f, -0.2f, std::log(2.0f), 0}}), box), Boxes({{-4, -4, 16, 16}}));
  // The second-stage weights (10, 10, 5, 5) divide the deltas first.
  ExpectClose(DecodeBoxes(Boxes({{1.0f, -2.0f, 5 * std::log(2.0f), 0}}), box, BoxCoderWeights{10, 10, 5, 5}),
              Boxes({{-4, -4, 16, 16}}));
}

TEST(BoxesTest, DecodeClampsHugeScaleDeltas) {
  // dw 10 is capped at log(1000 / 16): w = 10 * 62.5 = 625 around centre x 5.
  const at::Tensor decoded = DecodeBoxes(Boxes({{0, 0, 10, 0}}), Boxes({{0, 0, 10, 20}}));
  ExpectClose(decoded, Boxes({{-307.5f, 0, 317.5f, 20}}));
}

TEST(BoxesTest, ClipAndNonEmpty) {
  ExpectClose(ClipBoxes(Boxes({{-4, -4, 16, 16}, {3, 2, 5, 30}}), /*height=*/10, /*width=*/12),
              Boxes({{0, 0, 12, 10}, {3, 2, 5, 10}}));
  EXPECT_EQ(ToVector(NonEmptyBoxes(Boxes({{0, 0, 1, 1}, {2, 2, 2, 5}, {0, 0, 3, 0.5f}}), 0.0)),
            (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(ToVector(NonEmptyBoxes(Boxes({{0, 0, 1, 1}, {0, 0, 3, 0.5f}}), 0.75)), (std::vector<int64_t>{1, 0}));
}

TEST(BoxesTest, PairwiseIou) {
  const at::Tensor iou = PairwiseIou(Boxes({{0, 0, 2, 2}, {1, 1, 1, 1}}),
                                     Boxes({{1, 1, 3, 3}, {0, 0, 2, 2}, {2, 2, 4, 4}, {1, 1, 1, 1}}));
  // 1 / (4 + 4 - 1); identical; touching corners; an empty box against anything is 0.
  ExpectClose(iou, Boxes({{1.0f / 7, 1, 0, 0}, {0, 0, 0, 0}}));
}

// Boxes where greediness matters: E is suppressed by D, and F overlaps only E, so F survives.
struct ChainCase {
  at::Tensor boxes = Boxes({{0, 0, 10, 10}, {5, 0, 15, 10}, {10, 0, 20, 10}, {30, 30, 40, 40}});
  at::Tensor scores = at::tensor(std::vector<float>{0.9f, 0.8f, 0.7f, 0.85f});
};

TEST(NmsTest, GreedySuppressionByKeptBoxesOnly) {
  const ChainCase c;
  // IoU(D, E) = IoU(E, F) = 50 / 150 = 1/3 > 0.3; IoU(D, F) = 0.
  for (const int64_t block : {1, 2, 3, 512}) {
    EXPECT_EQ(ToVector(Nms(c.boxes, c.scores, 0.3, 0, block)), (std::vector<int64_t>{0, 3, 2})) << block;
  }
  // At 0.4 nothing overlaps enough: all kept, by decreasing score.
  EXPECT_EQ(ToVector(Nms(c.boxes, c.scores, 0.4)), (std::vector<int64_t>{0, 3, 1, 2}));
  // max_keep stops after the best two kept boxes.
  EXPECT_EQ(ToVector(Nms(c.boxes, c.scores, 0.3, /*max_keep=*/2, /*block=*/1)), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(Nms(c.boxes.narrow(0, 0, 0), c.scores.narrow(0, 0, 0), 0.5).numel(), 0);
}

// The textbook loop, for comparison on random inputs.
std::vector<int64_t> ReferenceNms(const at::Tensor& boxes, const at::Tensor& scores, double threshold) {
  const int64_t n = boxes.size(0);
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  const float* s = scores.data_ptr<float>();
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] > s[b]; });
  const auto b = boxes.accessor<float, 2>();
  auto iou = [&](int64_t i, int64_t j) {
    const double w = std::max(0.0f, std::min(b[i][2], b[j][2]) - std::max(b[i][0], b[j][0]));
    const double h = std::max(0.0f, std::min(b[i][3], b[j][3]) - std::max(b[i][1], b[j][1]));
    const double area_i = (b[i][2] - b[i][0]) * (b[i][3] - b[i][1]);
    const double area_j = (b[j][2] - b[j][0]) * (b[j][3] - b[j][1]);
    return w * h / (area_i + area_j - w * h);
  };
  std::vector<int64_t> kept;
  for (const int64_t i : order) {
    bool keep = true;
    for (const int64_t k : kept) keep = keep && iou(i, k) <= threshold;
    if (keep) kept.push_back(i);
  }
  return kept;
}

at::Tensor RandomBoxes(int64_t n, double extent, double max_size) {
  const at::Tensor xy = at::rand({n, 2}) * extent;
  const at::Tensor wh = at::rand({n, 2}) * max_size + 1;
  return at::cat({xy, xy + wh}, 1);
}

TEST(NmsTest, MatchesTheTextbookLoopOnRandomBoxes) {
  at::manual_seed(0);
  const at::Tensor boxes = RandomBoxes(300, 100, 40);
  const at::Tensor scores = at::rand({300});
  for (const double threshold : {0.3, 0.7}) {
    const std::vector<int64_t> expected = ReferenceNms(boxes, scores, threshold);
    ASSERT_GT(expected.size(), 5u);
    ASSERT_LT(expected.size(), 300u);
    for (const int64_t block : {7, 64, 512}) {
      EXPECT_EQ(ToVector(Nms(boxes, scores, threshold, 0, block)), expected) << threshold << " " << block;
    }
  }
}

TEST(ClassNmsTest, BestConfidenceOverClassesThatKeepTheBox) {
  const ChainCase c;
  const at::Tensor boxes = c.boxes.narrow(0, 0, 3);  // D, E, F
  // Class 0 keeps D (0.9) and F (0.1), drops E; class 1 keeps E (0.6), drops D and F.
  const at::Tensor scores = Boxes({{0.9f, 0.2f}, {0.8f, 0.6f}, {0.1f, 0.5f}});
  ExpectClose(MaxScoreAfterClassNms(boxes, scores, 0.3), at::tensor(std::vector<float>{0.9f, 0.6f, 0.1f}));
}

TEST(ClassNmsTest, EqualsOneNmsPerClass) {
  at::manual_seed(1);
  const at::Tensor boxes = RandomBoxes(60, 50, 30);
  const at::Tensor scores = at::rand({60, 5});
  std::vector<float> expected(60, 0.0f);
  for (int64_t c = 0; c < 5; ++c) {
    const at::Tensor column = scores.select(1, c).contiguous();
    for (const int64_t i : ReferenceNms(boxes, column, 0.3)) {
      expected[i] = std::max(expected[i], column[i].item<float>());
    }
  }
  ExpectClose(MaxScoreAfterClassNms(boxes, scores, 0.3), at::tensor(expected));
}

TEST(SelectRegionsTest, ThresholdThenMinMax) {
  const at::Tensor conf = at::tensor(std::vector<float>{0.1f, 0.5f, 0.3f, 0.9f, 0.05f});
  // Three pass 0.2: kept in index order when within [min, max].
  EXPECT_EQ(ToVector(SelectRegions(conf, 0.2, 2, 4)), (std::vector<int64_t>{1, 2, 3}));
  // Too few: the best min_boxes by confidence; too many: the best max_boxes.
  EXPECT_EQ(ToVector(SelectRegions(conf, 0.2, 4, 5)), (std::vector<int64_t>{3, 1, 2, 0}));
  EXPECT_EQ(ToVector(SelectRegions(conf, 0.2, 1, 2)), (std::vector<int64_t>{3, 1}));
  // A fixed count; never more than there are boxes.
  EXPECT_EQ(ToVector(SelectRegions(conf, 0.2, 2, 2)), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(SelectRegions(conf, 0.2, 36, 36).numel(), 5);
}

// f(y, x) = 10 y + x on a 4 x 4 map: bilinear samples of a linear function are exact.
at::Tensor LinearMap() {
  const at::Tensor y = at::arange(4, at::kFloat).view({4, 1});
  const at::Tensor x = at::arange(4, at::kFloat).view({1, 4});
  return (10 * y + x).view({1, 1, 4, 4});
}

TEST(RoiAlignTest, AlignedBinsAverageTheirSamples) {
  // Aligned: x in [1.5, 3.5] px -> [1, 3] in cell coordinates; 2 bins of width 1, 2 samples
  // each at +0.25/+0.75: bin means x = 1.5, 2.5 and likewise y = 0.5, 1.5.
  RoiAlignOptions options{.output_size = 2, .spatial_scale = 1.0, .sampling_ratio = 2, .aligned = true};
  const at::Tensor out = RoiAlign(LinearMap(), Boxes({{0, 1.5f, 0.5f, 3.5f, 2.5f}}), options);
  ExpectClose(out, Boxes({{6.5f, 7.5f}, {16.5f, 17.5f}}).view({1, 1, 2, 2}));
  // With spatial_scale 0.5 the RoI (3, 1, 7, 5) maps to the same cell coordinates (x * 0.5 - 0.5).
  options.spatial_scale = 0.5;
  ExpectClose(RoiAlign(LinearMap(), Boxes({{0, 3, 1, 7, 5}}), options), out);
}

TEST(RoiAlignTest, BorderSamplesClampAndFarSamplesVanish) {
  const at::Tensor map = Boxes({{1, 2}, {3, 4}}).view({1, 1, 2, 2});
  RoiAlignOptions options{.output_size = 1, .spatial_scale = 1.0, .sampling_ratio = 1, .aligned = false};
  // One sample at (2, 2): beyond the last cell but within one cell: clamped to (1, 1).
  ExpectClose(RoiAlign(map, Boxes({{0, 0, 0, 4, 4}}), options), at::full({1, 1, 1, 1}, 4.0f));
  // One sample at (-3, -3): more than one cell outside: 0.
  ExpectClose(RoiAlign(map, Boxes({{0, -4, -4, -2, -2}}), options), at::zeros({1, 1, 1, 1}));
  // Non-aligned RoIs smaller than a cell are grown to one cell: sample at (0.5, 0.5) = 2.5.
  ExpectClose(RoiAlign(map, Boxes({{0, 0, 0, 0.2f, 0.2f}}), options), at::full({1, 1, 1, 1}, 2.5f));
}

// detectron2's per-sample loop, for comparison.
at::Tensor ReferenceRoiAlign(const at::Tensor& features, const at::Tensor& rois, const RoiAlignOptions& o) {
  const int64_t channels = features.size(1), height = features.size(2), width = features.size(3);
  const int64_t p = o.output_size;
  at::Tensor out = at::zeros({rois.size(0), channels, p, p});
  const auto f = features.accessor<float, 4>();
  const auto r = rois.accessor<float, 2>();
  auto sample = [&](int64_t n, int64_t c, double y, double x) -> double {
    if (y < -1.0 || y > height || x < -1.0 || x > width) return 0.0;
    y = std::max(y, 0.0);
    x = std::max(x, 0.0);
    int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1 = y0 + 1, x1 = x0 + 1;
    if (y0 >= height - 1) y0 = y1 = height - 1, y = static_cast<double>(y0);
    if (x0 >= width - 1) x0 = x1 = width - 1, x = static_cast<double>(x0);
    const double ly = y - y0, lx = x - x0;
    return (1 - ly) * (1 - lx) * f[n][c][y0][x0] + (1 - ly) * lx * f[n][c][y0][x1] + ly * (1 - lx) * f[n][c][y1][x0] +
           ly * lx * f[n][c][y1][x1];
  };
  const double offset = o.aligned ? 0.5 : 0.0;
  for (int64_t i = 0; i < rois.size(0); ++i) {
    const int64_t n = static_cast<int64_t>(r[i][0]);
    const double x_start = r[i][1] * o.spatial_scale - offset, y_start = r[i][2] * o.spatial_scale - offset;
    double roi_w = r[i][3] * o.spatial_scale - offset - x_start, roi_h = r[i][4] * o.spatial_scale - offset - y_start;
    if (!o.aligned) roi_w = std::max(roi_w, 1.0), roi_h = std::max(roi_h, 1.0);
    const double bin_w = roi_w / p, bin_h = roi_h / p;
    const int64_t grid_h = o.sampling_ratio > 0 ? o.sampling_ratio : static_cast<int64_t>(std::ceil(roi_h / p));
    const int64_t grid_w = o.sampling_ratio > 0 ? o.sampling_ratio : static_cast<int64_t>(std::ceil(roi_w / p));
    const int64_t count = std::max<int64_t>(grid_h * grid_w, 1);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t ph = 0; ph < p; ++ph) {
        for (int64_t pw = 0; pw < p; ++pw) {
          double sum = 0;
          for (int64_t iy = 0; iy < grid_h; ++iy) {
            for (int64_t ix = 0; ix < grid_w; ++ix) {
              sum += sample(n, c, y_start + ph * bin_h + (iy + 0.5) * bin_h / grid_h,
                            x_start + pw * bin_w + (ix + 0.5) * bin_w / grid_w);
            }
          }
          out[i][c][ph][pw] = sum / count;
        }
      }
    }
  }
  return out;
}

TEST(RoiAlignTest, MatchesThePerSampleLoop) {
  at::manual_seed(2);
  const at::Tensor features = at::randn({2, 3, 9, 12});
  // Boxes of a 144 x 192 image (stride 16), some reaching past the border; more than one
  // group of RoIs (groups hold at most 64).
  const at::Tensor boxes = RandomBoxes(150, 170, 90) - 10;
  const at::Tensor batch_index = at::arange(150, at::kFloat).remainder(2).unsqueeze(1);
  const at::Tensor rois = at::cat({batch_index, boxes}, 1);
  for (const bool aligned : {true, false}) {
    for (const int64_t sampling : {0, 2}) {
      const RoiAlignOptions options{.output_size = 7, .spatial_scale = 1.0 / 16, .sampling_ratio = sampling,
                                    .aligned = aligned};
      ExpectClose(RoiAlign(features, rois, options), ReferenceRoiAlign(features, rois, options));
    }
  }
}

TEST(RpnTest, ProposalsAreClippedBestFirstAndAtMostPostNmsTopk) {
  at::manual_seed(3);
  RpnOptions options;
  options.hidden_channels = 8;
  options.pre_nms_topk = 60;
  options.post_nms_topk = 10;
  Rpn rpn(/*in_channels=*/6, options);
  rpn->eval();
  // A 5 x 7 C4 map of an 80 x 112 image; 5 * 7 * 12 = 420 anchors.
  const std::vector<at::Tensor> proposals = rpn->forward(at::randn({2, 6, 5, 7}), 80, 112);
  ASSERT_EQ(proposals.size(), 2u);
  for (const at::Tensor& boxes : proposals) {
    ASSERT_EQ(boxes.dim(), 2);
    EXPECT_EQ(boxes.size(1), 4);
    EXPECT_GT(boxes.size(0), 0);
    EXPECT_LE(boxes.size(0), 10);
    EXPECT_TRUE(boxes.select(1, 0).ge(0).all().item<bool>());
    EXPECT_TRUE(boxes.select(1, 2).le(112).all().item<bool>());
    EXPECT_TRUE(boxes.select(1, 3).le(80).all().item<bool>());
    EXPECT_TRUE(NonEmptyBoxes(boxes).all().item<bool>());
    // Survivors of NMS at 0.7 overlap each other by at most 0.7.
    const at::Tensor iou = PairwiseIou(boxes, boxes) - at::eye(boxes.size(0));
    EXPECT_LE(iou.max().item<float>(), 0.7f + 1e-6f);
  }
}

}  // namespace
}  // namespace soho::bench::region
