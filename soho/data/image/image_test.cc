// Image pipeline: stores (folder / zip), decoding and its failures, the reference's resize
// rule, normalization, scale choice and batch collation.
#include <zip.h>

#include <cmath>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/data/image/buffer_pool.h"
#include "soho/data/image/decode.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/image/image_store.h"
#include "soho/data/image/transforms.h"

namespace soho::data {
namespace {

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(base ? base : "/tmp") + "/" + name;
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

// A w x h BGR image whose pixel (y, x) is (x, y, x + y) mod 256: easy to check after I/O.
cv::Mat Gradient(int height, int width) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, (x + y) % 256);
  }
  return m;
}

std::string Encode(const cv::Mat& m, const std::string& ext) {
  std::vector<uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf));
  return std::string(buf.begin(), buf.end());
}

void WriteZip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& members) {
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(z, nullptr);
  for (const auto& [name, bytes] : members) {
    zip_source_t* src = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
    ASSERT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE), 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

// ----------------------------------------------------------------------------- resize rule

TEST(RescaleSizeTest, MatchesMmcvRescaleSize) {
  // 640x480 into (1000, 600): factor min(1000/640, 600/480) = 1.25 -> 800x600.
  EXPECT_EQ(RescaleSize({480, 640}, {1000, 600}), (ImageSize{600, 800}));
  // Portrait 480x640 (h=640): min(1000/640, 600/480) = 1.25 -> h 800, w 600.
  EXPECT_EQ(RescaleSize({640, 480}, {1000, 600}), (ImageSize{800, 600}));
  // Long-edge bound: 1000x300 into (1333, 800): min(1.333, 2.667) -> w int(1333+.5), h int(399.9+.5).
  EXPECT_EQ(RescaleSize({300, 1000}, {1333, 800}), (ImageSize{400, 1333}));
  // Rounding: 500x333 into (1000, 600): factor 600/333; w = int(900.90 + .5) = 901.
  EXPECT_EQ(RescaleSize({333, 500}, {1000, 600}), (ImageSize{600, 901}));
  // Scale given as (short, long) means the same.
  EXPECT_EQ(RescaleSize({480, 640}, {600, 1000}), (ImageSize{600, 800}));
  // Downscaling: 4000x3000 into (1000, 600): min(0.25, 0.2) -> 800x600.
  EXPECT_EQ(RescaleSize({3000, 4000}, {1000, 600}), (ImageSize{600, 800}));
}

TEST(ResizeKeepRatioTest, OutputSizeAndNoCopyWhenUnchanged) {
  const cv::Mat image = Gradient(48, 64);
  const cv::Mat up = ResizeKeepRatio(image, {100, 60});  // factor min(100/64, 60/48) = 1.25
  EXPECT_EQ(up.rows, 60);
  EXPECT_EQ(up.cols, 80);
  EXPECT_EQ(up.type(), CV_8UC3);
  const cv::Mat same = ResizeKeepRatio(image, {64, 48});
  EXPECT_EQ(same.data, image.data);
}

TEST(RoundUpToMultipleTest, Basics) {
  EXPECT_EQ(RoundUpToMultiple(600, 32), 608);
  EXPECT_EQ(RoundUpToMultiple(800, 32), 800);
  EXPECT_EQ(RoundUpToMultiple(1, 32), 32);
  EXPECT_EQ(RoundUpToMultiple(17, 0), 17);
}

// ---------------------------------------------------------------------------- normalize

TEST(NormalizeIntoTest, RgbOrderValuesAndZeroPadding) {
  cv::Mat image(1, 2, CV_8UC3);
  image.at<cv::Vec3b>(0, 0) = cv::Vec3b(10, 20, 30);  // B, G, R
  image.at<cv::Vec3b>(0, 1) = cv::Vec3b(255, 0, 128);
  Normalization norm;
  norm.mean = {1.f, 2.f, 3.f};
  norm.std = {2.f, 4.f, 8.f};
  std::vector<float> out(3 * 2 * 3, -7.f);  // planes of 2 x 3, image 1 x 2
  NormalizeInto(image, norm, out.data(), 2, 3);
  // R plane: (30-1)/2, (128-1)/2; G plane: (20-2)/4, (0-2)/4; B plane: (10-3)/8, (255-3)/8.
  const std::vector<float> expected = {14.5f, 63.5f, 0, 0, 0, 0,    //
                                       4.5f,  -0.5f, 0, 0, 0, 0,    //
                                       0.875f, 31.5f, 0, 0, 0, 0};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(out[i], expected[i]) << i;
}

// ---------------------------------------------------------------------------- pipeline

proto::ImageConfig TestConfig() {
  proto::ImageConfig c;
  c.mutable_test_scale()->set_long_edge(64);
  c.mutable_test_scale()->set_short_edge(40);
  c.set_size_divisor(32);
  c.set_min_size(8);
  return c;
}

TEST(ImagePipelineTest, CollatePadsToLargestAndRecordsValidSizes) {
  auto pipeline = ImagePipeline::Create(TestConfig(), /*training=*/false);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  cv::Mat red(40, 30, CV_8UC3, cv::Scalar(0, 0, 255));
  cv::Mat blue(20, 50, CV_8UC3, cv::Scalar(255, 0, 0));
  const ImageBatch batch = pipeline->Collate({red, blue});
  ASSERT_EQ(batch.images.sizes(), (std::vector<int64_t>{2, 3, 64, 64}));
  EXPECT_EQ(batch.images.scalar_type(), at::kFloat);
  ASSERT_EQ(batch.valid_hw.scalar_type(), at::kLong);
  EXPECT_EQ(batch.valid_hw[0][0].item<int64_t>(), 40);
  EXPECT_EQ(batch.valid_hw[0][1].item<int64_t>(), 30);
  EXPECT_EQ(batch.valid_hw[1][0].item<int64_t>(), 20);
  EXPECT_EQ(batch.valid_hw[1][1].item<int64_t>(), 50);
  const float r_of_red = (255 - 123.675f) / 58.395f, g_of_red = -116.28f / 57.12f;
  const float b_of_blue = (255 - 103.53f) / 57.375f, r_of_blue = -123.675f / 58.395f;
  auto img0 = batch.images[0];
  auto img1 = batch.images[1];
  EXPECT_NEAR(img0[0][39][29].item<float>(), r_of_red, 1e-5);
  EXPECT_NEAR(img0[1][0][0].item<float>(), g_of_red, 1e-5);
  EXPECT_NEAR(img1[2][19][49].item<float>(), b_of_blue, 1e-5);
  EXPECT_NEAR(img1[0][0][0].item<float>(), r_of_blue, 1e-5);
  // Everything outside the valid area is exactly zero, everything inside is not.
  EXPECT_EQ(img0.slice(1, 40).abs().sum().item<float>(), 0.f);
  EXPECT_EQ(img0.slice(2, 30).abs().sum().item<float>(), 0.f);
  EXPECT_EQ(img1.slice(1, 20).abs().sum().item<float>(), 0.f);
  EXPECT_EQ(img1.slice(2, 50).abs().sum().item<float>(), 0.f);
  EXPECT_EQ(img0.slice(1, 0, 40).slice(2, 0, 30).ne(0).all().item<bool>(), true);
  EXPECT_EQ(img1.slice(1, 0, 20).slice(2, 0, 50).ne(0).all().item<bool>(), true);
}

TEST(ImagePipelineTest, BlankKeepsSizesButNotContent) {
  proto::ImageConfig config = TestConfig();
  config.set_blank(true);
  auto pipeline = ImagePipeline::Create(config, /*training=*/false);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  // The pool hands back a recycled buffer: fill one with non-zeros first.
  pipeline->Collate({cv::Mat(64, 64, CV_8UC3, cv::Scalar(255, 255, 255))});
  const ImageBatch batch = pipeline->Collate({cv::Mat(40, 30, CV_8UC3, cv::Scalar(0, 0, 255)),
                                              cv::Mat(20, 50, CV_8UC3, cv::Scalar(255, 0, 0))});
  ASSERT_EQ(batch.images.sizes(), (std::vector<int64_t>{2, 3, 64, 64}));
  EXPECT_EQ(batch.images.abs().sum().item<float>(), 0.f);
  EXPECT_EQ(batch.valid_hw[0][0].item<int64_t>(), 40);
  EXPECT_EQ(batch.valid_hw[1][1].item<int64_t>(), 50);
}

TEST(ImagePipelineTest, PrepareResizesToTestScale) {
  auto pipeline = ImagePipeline::Create(TestConfig(), false);
  ASSERT_TRUE(pipeline.ok());
  Rng rng(1);
  // 640x480 into (64, 40): factor min(0.1, 1/12) -> 53x40 (int(53.33 + .5)).
  auto image = pipeline->Prepare(Encode(Gradient(480, 640), ".png"), "g.png", &rng);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->rows, 40);
  EXPECT_EQ(image->cols, 53);
  const ImageBatch batch = pipeline->Collate({*image});
  EXPECT_EQ(batch.images.sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
}

TEST(ImagePipelineTest, ValueModePicksEachConfiguredScale) {
  proto::ImageConfig c = TestConfig();
  for (auto [l, s] : {std::pair{100, 50}, {200, 80}, {300, 90}}) {
    auto* scale = c.add_train_scales();
    scale->set_long_edge(l);
    scale->set_short_edge(s);
  }
  auto pipeline = ImagePipeline::Create(c, /*training=*/true);
  ASSERT_TRUE(pipeline.ok());
  Rng rng(7);
  std::set<int> seen;
  for (int i = 0; i < 300; ++i) {
    const ImageScale s = pipeline->ChooseScale(&rng);
    ASSERT_TRUE((s.long_edge == 100 && s.short_edge == 50) || (s.long_edge == 200 && s.short_edge == 80) ||
                (s.long_edge == 300 && s.short_edge == 90));
    seen.insert(s.long_edge);
  }
  EXPECT_EQ(seen.size(), 3u);
  // Evaluation ignores train_scales.
  auto eval = ImagePipeline::Create(c, /*training=*/false);
  ASSERT_TRUE(eval.ok());
  EXPECT_EQ(eval->ChooseScale(&rng).long_edge, 64);
}

TEST(ImagePipelineTest, RangeModeDrawsShortEdgeUniformly) {
  proto::ImageConfig c = TestConfig();
  c.set_scale_mode(proto::ImageConfig::RANGE);
  for (auto [l, s] : {std::pair{1333, 400}, {1333, 800}}) {
    auto* scale = c.add_train_scales();
    scale->set_long_edge(l);
    scale->set_short_edge(s);
  }
  auto pipeline = ImagePipeline::Create(c, true);
  ASSERT_TRUE(pipeline.ok());
  Rng rng(3);
  int lo = 10000, hi = 0;
  double sum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const ImageScale s = pipeline->ChooseScale(&rng);
    ASSERT_EQ(s.long_edge, 1333);
    ASSERT_GE(s.short_edge, 400);
    ASSERT_LE(s.short_edge, 800);
    lo = std::min(lo, s.short_edge);
    hi = std::max(hi, s.short_edge);
    sum += s.short_edge;
  }
  EXPECT_EQ(lo, 400);
  EXPECT_EQ(hi, 800);
  EXPECT_NEAR(sum / n, 600, 3);  // std of the mean ~ 116 / sqrt(20000) = 0.8
}

TEST(ImagePipelineTest, BadConfigNamesFields) {
  proto::ImageConfig c = TestConfig();
  c.add_mean(1);
  c.add_mean(2);
  c.add_std(1);
  c.add_std(1);
  c.add_std(1);
  c.set_min_size(0);
  auto pipeline = ImagePipeline::Create(c, false);
  ASSERT_FALSE(pipeline.ok());
  EXPECT_NE(pipeline.status().message().find("data.image.mean/std"), std::string::npos);
  EXPECT_NE(pipeline.status().message().find("data.image.min_size"), std::string::npos);
}

TEST(FloatBufferPoolTest, ReleasedBuffersAreReusedAndTensorsOutliveThePool) {
  at::Tensor survivor;
  {
    FloatBufferPool pool(2);
    at::Tensor a = pool.Empty({2, 3, 4});
    ASSERT_EQ(a.sizes(), (std::vector<int64_t>{2, 3, 4}));
    ASSERT_EQ(a.scalar_type(), at::kFloat);
    a.fill_(1.5f);
    const float* first = a.data_ptr<float>();
    a = at::Tensor();  // back to the pool
    at::Tensor b = pool.Empty({3, 2, 4});  // same size: the same memory
    EXPECT_EQ(b.data_ptr<float>(), first);
    at::Tensor c = pool.Empty({1, 3, 4});  // b is in use: new memory
    EXPECT_NE(c.data_ptr<float>(), first);
    at::Tensor big = pool.Empty({100, 3, 4});
    EXPECT_NE(big.data_ptr<float>(), first);
    survivor = pool.Empty({5});
    survivor.fill_(2.f);
  }
  EXPECT_EQ(survivor.sum().item<float>(), 10.f);
}

// ------------------------------------------------------------------------ bad images

TEST(BadImageTest, EveryFailureIsAStatusNamingTheFile) {
  auto pipeline = ImagePipeline::Create(TestConfig(), false);
  ASSERT_TRUE(pipeline.ok());
  Rng rng(1);
  const std::string jpeg = Encode(Gradient(48, 64), ".jpg");
  struct Case {
    std::string name, bytes, expected;
  };
  const std::vector<Case> cases = {
      {"empty.jpg", "", "empty image file"},
      {"truncated.jpg", jpeg.substr(0, jpeg.size() / 2), "truncated JPEG"},
      {"garbage.jpg", std::string(1000, 'x'), "cannot decode"},
      {"tiny.png", Encode(Gradient(5, 64), ".png"), "below the minimum size 8"},
  };
  for (const Case& c : cases) {
    auto result = pipeline->Prepare(c.bytes, c.name, &rng);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_NE(result.status().message().find(c.name), std::string::npos) << result.status();
    EXPECT_NE(result.status().message().find(c.expected), std::string::npos) << result.status();
  }
  EXPECT_TRUE(pipeline->Prepare(jpeg, "good.jpg", &rng).ok());
}

TEST(DecodeTest, JpegRoundTripKeepsBgrOrder) {
  const cv::Mat red(16, 16, CV_8UC3, cv::Scalar(0, 0, 255));
  auto decoded = DecodeImageBgr(Encode(red, ".jpg"), "red.jpg");
  ASSERT_TRUE(decoded.ok());
  const cv::Vec3b p = decoded->at<cv::Vec3b>(8, 8);
  EXPECT_LT(p[0], 10);
  EXPECT_GT(p[2], 245);
}

// The SOF0 marker's height and width fields set to `height` x `width`.
std::string WithClaimedSize(std::string jpeg, int height, int width) {
  const size_t sof = jpeg.find("\xFF\xC0");
  EXPECT_NE(sof, std::string::npos);
  jpeg[sof + 5] = static_cast<char>(height >> 8);
  jpeg[sof + 6] = static_cast<char>(height & 0xFF);
  jpeg[sof + 7] = static_cast<char>(width >> 8);
  jpeg[sof + 8] = static_cast<char>(width & 0xFF);
  return jpeg;
}

TEST(DecodeTest, PixelCapIsJudgedFromTheHeaderBeforeDecoding) {
  EXPECT_EQ(proto::ImageConfig().max_pixels(), kDefaultMaxImagePixels);
  const std::string huge = WithClaimedSize(Encode(Gradient(48, 64), ".jpg"), 20000, 20000);
  auto decoded = DecodeImageBgr(huge, "huge.jpg");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("huge.jpg: image is 20000x20000 pixels, more than 40000000 "
                                            "(data.image.max_pixels)"),
            std::string::npos)
      << decoded.status();
  auto png = DecodeImageBgr(Encode(Gradient(48, 64), ".png"), "big.png", /*max_pixels=*/1000);
  ASSERT_FALSE(png.ok());
  EXPECT_NE(png.status().message().find("big.png: image is 64x48 pixels, more than 1000"), std::string::npos)
      << png.status();
  EXPECT_TRUE(DecodeImageBgr(Encode(Gradient(48, 64), ".png"), "ok.png", 64 * 48).ok());
}

TEST(DecodeTest, CorruptJpegDataIsAnErrorNotGreyPixels) {
  const std::string jpeg = Encode(Gradient(96, 128), ".jpg");
  // Cut in the middle of the scan, with the end marker appended: the old check (an EOI
  // near the end) passes, libjpeg only warns.
  const std::string cut = jpeg.substr(0, jpeg.size() / 2) + "\xFF\xD9";
  auto decoded = DecodeImageBgr(cut, "cut.jpg");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("cut.jpg: corrupt JPEG ("), std::string::npos) << decoded.status();
  EXPECT_TRUE(DecodeImageBgr(jpeg, "whole.jpg").ok());
}

// ------------------------------------------------------------------------------ stores

TEST(ImageStoreTest, FolderReadsAndReportsMissingFiles) {
  const std::string dir = TempDir("folder_store");
  const std::string bytes = Encode(Gradient(16, 24), ".png");
  ASSERT_TRUE(WriteFileAtomically(dir + "/sub/a.png", bytes).ok());
  auto store = ImageStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  auto read = (*store)->Read("sub/a.png");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
  auto missing = (*store)->Read("nope.jpg");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir + "/nope.jpg"), std::string::npos);
}

TEST(ImageStoreTest, ZipReadsMembersWithOrWithoutTheFolderPrefix) {
  const std::string dir = TempDir("zip_store");
  const std::string a = Encode(Gradient(16, 24), ".png");
  const std::string b = Encode(Gradient(30, 20), ".jpg");
  WriteZip(dir + "/images.zip", {{"images/a.png", a}, {"b.jpg", b}});
  auto store = ImageStore::Open(dir + "/images.zip");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->Read("a.png"), a);          // relative to the zipped folder
  EXPECT_EQ(*(*store)->Read("images/a.png"), a);   // full member name
  EXPECT_EQ(*(*store)->Read("/b.jpg"), b);         // reference-style "@/name"
  auto missing = (*store)->Read("c.jpg");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("images.zip@c.jpg"), std::string::npos);

  // Concurrent readers get intact bytes.
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) good[t] += *(*store)->Read(i % 2 ? "a.png" : "b.jpg") == (i % 2 ? a : b);
    });
  }
  for (auto& th : threads) th.join();
  for (int g : good) EXPECT_EQ(g, 50);
}

TEST(ImageStoreTest, OpenRejectsMissingAndNonZipRoots) {
  const std::string dir = TempDir("bad_roots");
  EXPECT_EQ(ImageStore::Open(dir + "/absent").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomically(dir + "/x.tar", "x").ok());
  auto tar = ImageStore::Open(dir + "/x.tar");
  ASSERT_FALSE(tar.ok());
  EXPECT_NE(tar.status().message().find("neither a folder nor a .zip"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(dir + "/broken.zip", "not a zip").ok());
  auto broken = ImageStore::Open(dir + "/broken.zip");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("broken.zip"), std::string::npos);
}

}  // namespace
}  // namespace soho::data
