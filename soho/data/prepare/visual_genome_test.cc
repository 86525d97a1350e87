#include "soho/data/prepare/visual_genome.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/data/annotations/json_file.h"

namespace soho::data {
namespace {

using ::testing::ElementsAre;

TEST(VisualGenomeTest, RegionPhrasesBecomeCaptions) {
  const std::string regions_path = "testdata/vg/region_descriptions.json";
  const std::string image_data_path = "testdata/vg/image_data.json";
  const auto regions = ReadJsonFile(regions_path);
  const auto image_data = ReadJsonFile(image_data_path);
  ASSERT_TRUE(regions.ok() && image_data.ok());
  ConversionSummary summary("vg");
  const auto images = ConvertVisualGenome(*regions, regions_path, *image_data, image_data_path, &summary);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 3u);
  EXPECT_EQ((*images)[0].file_name, "VG_100K_2/1.jpg");
  EXPECT_EQ((*images)[0].image_id, 1);
  EXPECT_EQ((*images)[0].height, 600);
  EXPECT_EQ((*images)[0].width, 800);
  EXPECT_THAT((*images)[0].captions,
              ElementsAre("the clock is green in colour", "shade is along the street"));
  EXPECT_EQ((*images)[1].file_name, "VG_100K/10.jpg");
  EXPECT_THAT((*images)[1].captions, ElementsAre("a white plate"));
  // Entry keyed "image_id" (VG 1.2) and an image without url.
  EXPECT_EQ((*images)[2].file_name, "11.jpg");
  EXPECT_EQ((*images)[2].height, 375);
  EXPECT_THAT((*images)[2].captions, ElementsAre("grey sky"));

  EXPECT_EQ(summary.count("images"), 3);
  EXPECT_EQ(summary.count("captions"), 4);
  EXPECT_EQ(summary.skipped("malformed image_data entry"), 1);  // image 12 has no height
  EXPECT_EQ(summary.skipped("repeated phrase"), 1);
  EXPECT_EQ(summary.skipped("empty phrase"), 1);
  EXPECT_EQ(summary.skipped("malformed region"), 1);
  EXPECT_EQ(summary.skipped("regions of an image missing from image_data"), 2);  // 77 and 12
  EXPECT_EQ(summary.total_skipped(), 6);
}

TEST(VisualGenomeTest, WrongLayoutIsAnError) {
  ConversionSummary summary("vg");
  const auto result = ConvertVisualGenome(nlohmann::json::object(), "r.json",
                                          nlohmann::json::array(), "i.json", &summary);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "r.json: expected a JSON list, got object");
}

}  // namespace
}  // namespace soho::data
