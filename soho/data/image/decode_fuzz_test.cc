// The image decoder over testdata/bad_inputs/images (each one an error naming the file) and
// fuzzed with random and mutated JPEG and PNG files: every input must decode to a BGR image
// within the pixel cap or give an error naming the file, never crash or allocate what a
// corrupt header claims.
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/common/fuzz_testing.h"
#include "soho/data/image/decode.h"

namespace soho::data {
namespace {

using ::testing::HasSubstr;

TEST(DecodeCorpusTest, EveryBadImageIsAnErrorNamingTheFile) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator("testdata/bad_inputs/images")) {
    const std::string path = entry.path().string();
    const absl::StatusOr<std::string> bytes = ReadFileToString(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    const absl::StatusOr<cv::Mat> image = DecodeImageBgr(*bytes, path);
    ASSERT_FALSE(image.ok()) << path << " decoded";
    EXPECT_THAT(std::string(image.status().message()), HasSubstr(path));
    ++files;
  }
  EXPECT_GE(files, 5);
}

std::string Encode(const std::string& ext, int height, int width) {
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, 0, 255);
  std::vector<unsigned char> bytes;
  cv::imencode(ext, image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

TEST(DecodeFuzzTest, DecoderGivesACappedImageOrAnErrorNamingTheFile) {
  constexpr int64_t kMaxPixels = 1 << 20;
  const std::vector<std::string> seeds = {Encode(".jpg", 24, 32), Encode(".png", 24, 32), Encode(".bmp", 8, 8)};
  const int64_t runs = testing::FuzzFor(3.0, seeds, /*rng_seed=*/5, [&](const std::string& input) {
    const absl::StatusOr<cv::Mat> image = DecodeImageBgr(input, "fuzz.img", kMaxPixels);
    if (!image.ok()) {
      EXPECT_THAT(std::string(image.status().message()), HasSubstr("fuzz.img"));
      return;
    }
    EXPECT_EQ(image->type(), CV_8UC3);
    EXPECT_LE(int64_t{image->rows} * image->cols, kMaxPixels);
  });
  EXPECT_GT(runs, 3);
  RecordProperty("runs", static_cast<int>(runs));
}

}  // namespace
}  // namespace soho::data
