#include "soho/data/prepare/coco_captions.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/data/annotations/json_file.h"

namespace soho::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kCaptions[] = "testdata/coco/captions_train2014.json";

TEST(CocoCaptionsTest, GroupsCaptionsPerImageWithSizes) {
  const auto root = ReadJsonFile(kCaptions);
  ASSERT_TRUE(root.ok()) << root.status();
  ConversionSummary summary("coco");
  const auto images = ConvertCocoCaptions(*root, kCaptions, &summary);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 2u);
  const PretrainImage& first = (*images)[0];
  EXPECT_EQ(first.file_name, "COCO_train2014_000000057870.jpg");
  EXPECT_EQ(first.image_id, 57870);
  EXPECT_EQ(first.height, 480);
  EXPECT_EQ(first.width, 640);
  EXPECT_THAT(first.captions, ElementsAre("A restaurant has modern wooden tables and chairs.",
                                          "A long restaurant table with rattan rounded back chairs."));
  const PretrainImage& second = (*images)[1];
  EXPECT_EQ(second.image_id, 384029);
  EXPECT_EQ(second.height, 640);
  EXPECT_EQ(second.width, 429);
  // Trailing newline and surrounding spaces trimmed.
  EXPECT_THAT(second.captions, ElementsAre("A man preparing desserts in a kitchen covered in frosting.",
                                           "A chef is preparing and decorating many small pastries."));
  EXPECT_EQ(summary.count("images"), 2);
  EXPECT_EQ(summary.count("captions"), 4);
  EXPECT_EQ(summary.skipped("malformed image entry"), 1);  // width "640" is a string
  EXPECT_EQ(summary.skipped("caption of an unknown image"), 1);
  EXPECT_EQ(summary.skipped("empty caption"), 1);
  EXPECT_EQ(summary.skipped("malformed caption entry"), 1);  // caption 42
  EXPECT_EQ(summary.skipped("image without captions"), 1);  // 222016
  EXPECT_EQ(summary.total_skipped(), 5);
  EXPECT_EQ(summary.ToString(),
            "coco: 2 images, 4 captions; skipped 5: caption of an unknown image x1, empty caption x1, "
            "image without captions x1, malformed caption entry x1, malformed image entry x1");
}

TEST(CocoCaptionsTest, WrongLayoutNamesFileAndField) {
  ConversionSummary summary("coco");
  const auto no_images = ConvertCocoCaptions(nlohmann::json{{"annotations", nlohmann::json::array()}},
                                             "c.json", &summary);
  ASSERT_FALSE(no_images.ok());
  EXPECT_THAT(std::string(no_images.status().message()), HasSubstr("c.json: missing field 'images'"));
  const auto list = ConvertCocoCaptions(nlohmann::json::array(), "d.json", &summary);
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(std::string(list.status().message()), HasSubstr("d.json: expected a JSON object"));
}

TEST(CocoCaptionsTest, ImageSizes) {
  const auto root = ReadJsonFile(kCaptions);
  ASSERT_TRUE(root.ok());
  nlohmann::json valid = *root;
  valid["images"].erase(3);  // the entry with a string width
  const auto sizes = ReadCocoImageSizes(valid, kCaptions);
  ASSERT_TRUE(sizes.ok()) << sizes.status();
  EXPECT_EQ(sizes->size(), 3u);
  EXPECT_EQ(sizes->at(384029).height, 640);
  EXPECT_EQ(sizes->at(384029).width, 429);
  const auto bad = ReadCocoImageSizes(*root, kCaptions);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("images[3]: field 'width'"));
}

}  // namespace
}  // namespace soho::data
