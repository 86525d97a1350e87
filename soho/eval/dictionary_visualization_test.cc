// The Visual Dictionary picture: cells map to the entries the neck uses, sheets have the
// documented size, and VisualizeDictionary writes them for a tiny synthetic world.
#include "soho/eval/dictionary_visualization.h"

#include <ATen/ATen.h>
#include <opencv2/imgcodecs.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/data/annotations/json_file.h"
#include "soho/eval/test_world.h"

namespace soho::eval {
namespace {

using ::testing::HasSubstr;

TEST(EntrySheetTest, SizeFollowsTheLayout) {
  const SheetLayout layout{/*tile=*/16, /*columns=*/4, /*gap=*/2, /*header=*/10};
  // width 4*16 + 5*2 = 74; rows = max(1, ceil(n/4)); height = 10 + rows*16 + (rows+1)*2.
  EXPECT_EQ(EntrySheetSize(0, layout), cv::Size(74, 10 + 16 + 4));
  EXPECT_EQ(EntrySheetSize(4, layout), cv::Size(74, 30));
  EXPECT_EQ(EntrySheetSize(5, layout), cv::Size(74, 10 + 32 + 6));
  std::vector<cv::Mat> patches(5, cv::Mat(7, 9, CV_8UC3, cv::Scalar(0, 0, 255)));
  const cv::Mat sheet = DrawEntrySheet(3, 42, patches, layout);
  EXPECT_EQ(sheet.size(), cv::Size(74, 48));
  EXPECT_EQ(sheet.type(), CV_8UC3);
  // The fifth patch fills its tile (row 1, column 0) with the patch colour; the gap stays white.
  EXPECT_EQ(sheet.at<cv::Vec3b>(10 + 2 + 18 + 8, 2 + 8), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(sheet.at<cv::Vec3b>(10 + 1, 1), cv::Vec3b(255, 255, 255));
}

class DictionaryVisualizationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto world = MakeTestWorld(TestTempDir("dictionary_world"));
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *std::move(world);
    // A larger test scale than the other tests: a 4 x 3 grid of cells per image.
    proto::ImageScale* scale = world_.pretrain.mutable_data()->mutable_image()->mutable_test_scale();
    scale->set_long_edge(256);
    scale->set_short_edge(192);
    torch::manual_seed(2);
    model_ = model::SohoPretrainModel(world_.pretrain.model());
  }
  TestWorld world_;
  model::SohoPretrainModel model_{nullptr};
};

TEST_F(DictionaryVisualizationTest, CellsMapToTheEntriesTheNeckUses) {
  torch::manual_seed(4);
  const at::Tensor images = at::randn({2, 3, 192, 256});
  const at::Tensor valid_hw = at::tensor({192, 256, 150, 200}, at::kLong).view({2, 2});
  const DictionaryCells cells = MapCellsToDictionary(model_, {images, valid_hw});
  ASSERT_EQ(cells.entries.sizes(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(cells.cell_h, 64);
  EXPECT_EQ(cells.cell_w, 64);
  // Second image 150 x 200: the neck's grid mask keeps rows 0-2 (64*2 = 128 < 150) and
  // columns 0-3 (3*64 = 192 < 200) under PyTorch's nearest rule (192/3 = 64, 256/4 = 64).
  EXPECT_TRUE(cells.valid.all().item<bool>());

  // The neck in training mode with mask_prob 1 labels its masked cells with their entries,
  // computed before its dictionary update: they must be ours.
  proto::ModelConfig config = world_.pretrain.model();
  config.mutable_neck()->set_mask_prob(1.0f);
  torch::manual_seed(2);
  model::SohoPretrainModel masking(config);
  const DictionaryCells ours = MapCellsToDictionary(masking, {images, valid_hw});
  // The neck masks in training mode; its BatchNorm (and the backbone's) on running
  // statistics, as in MapCellsToDictionary.
  masking->train();
  masking->backbone->eval();
  masking->neck->conv->eval();
  at::NoGradGuard no_grad;
  const at::Tensor c5 = masking->backbone->forward(images).back();
  const model::VisualTokens tokens = masking->neck->forward(c5, {valid_hw, 192, 256});
  const at::Tensor labels = tokens.mvm_labels.view({2, 3, 4});
  const at::Tensor masked = labels.ne(-100);
  ASSERT_GT(masked.sum().item<int64_t>(), 0);
  EXPECT_TRUE(at::equal(labels.masked_select(masked), ours.entries.masked_select(masked)));
}

TEST_F(DictionaryVisualizationTest, WritesSheetsOfTheMostUsedEntries) {
  DictionaryVisualizationOptions options;
  options.output_dir = world_.dir + "/dictionary";
  options.num_images = 3;
  options.num_entries = 4;
  options.patches_per_entry = 2;
  options.batch_size = 2;
  options.layout = {/*tile=*/32, /*columns=*/2, /*gap=*/1, /*header=*/12};
  auto report = VisualizeDictionary(model_, world_.pretrain.data(), options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->images, 3);
  EXPECT_GT(report->cells, 0);
  ASSERT_FALSE(report->entries.empty());
  EXPECT_LE(report->entries.size(), 4u);
  int64_t previous = report->cells;
  for (const auto& entry : report->entries) {
    EXPECT_LE(entry.cells, previous);  // most used first
    previous = entry.cells;
    // At most one patch per image, at most patches_per_entry: the sheet holds min(images, 2).
    const cv::Mat png = cv::imread(entry.file, cv::IMREAD_COLOR);
    ASSERT_FALSE(png.empty()) << entry.file;
    EXPECT_EQ(png.size(), EntrySheetSize(static_cast<int>(std::min<int64_t>(entry.images, 2)), options.layout))
        << entry.file;
  }
  auto usage = data::ReadJsonFile(options.output_dir + "/dictionary_usage.json");
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ((*usage)["cells"], report->cells);
  EXPECT_EQ((*usage)["dict_size"], world_.pretrain.model().neck().dict_size());
  EXPECT_EQ((*usage)["entries"].size(), report->entries.size());

  options.num_entries = 0;
  EXPECT_THAT(std::string(VisualizeDictionary(model_, world_.pretrain.data(), options).status().message()),
              HasSubstr("must be >= 1"));
}

}  // namespace
}  // namespace soho::eval
