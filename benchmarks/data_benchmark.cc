// Data pipeline throughput: the image pipeline (decode + keep-ratio resize + normalize + pad
// of 640x480 JPEGs into the (1000, 600) scale, i.e. to 800x600 padded to 800x608) on 1 and 2
// threads, its stages one by one, and the pre-training loader end to end (images, captions,
// tokenization, MLM/ITM, collation) for 0, 1 and 2 workers.
//
//   bazel run //benchmarks:data_benchmark
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "benchmark/benchmark.h"
#include "soho/common/file_util.h"
#include "soho/common/logging.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/data_loader.h"
#include "soho/data/image/decode.h"
#include "soho/data/image/image_pipeline.h"
#include "soho/data/pretrain_dataset.h"
#include "soho/data/sampler.h"
#include "soho/data/text/bert_tokenizer.h"

namespace soho::data {
namespace {

constexpr int kNumImages = 32;

// A photo-like 640x480 JPEG (smooth colour fields, edges and noise; quality 90), about
// the size of a COCO image.
std::string MakeJpeg(int seed) {
  cv::Mat image(480, 640, CV_8UC3);
  cv::Mat noise(480, 640, CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b((x + seed * 7) % 256, (y * 2 + seed) % 256, (x + y) / 5 % 256);
    }
  }
  cv::circle(image, {200 + seed * 5, 240}, 90, cv::Scalar(30, 200, 60), cv::FILLED);
  cv::rectangle(image, {400, 100}, {560, 300 + seed}, cv::Scalar(220, 40, 40), cv::FILLED);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(12));
  image += noise;
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", image, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(buf.begin(), buf.end());
}

const std::vector<std::string>& Jpegs() {
  static const auto* jpegs = [] {
    auto* v = new std::vector<std::string>();
    for (int i = 0; i < kNumImages; ++i) v->push_back(MakeJpeg(i));
    return v;
  }();
  return *jpegs;
}

const ImagePipeline& TestScalePipeline() {
  static const auto* pipeline = [] {
    // As the datasets do (ImageSources::Open), so that every benchmark here sees the same
    // process settings as the loader.
    ConfigureProcessForImageLoading();
    proto::ImageConfig config;
    config.mutable_test_scale()->set_long_edge(1000);
    config.mutable_test_scale()->set_short_edge(600);
    return new ImagePipeline(*ImagePipeline::Create(config, /*training=*/false));
  }();
  return *pipeline;
}

// The whole per-image path; with ->Threads(n) each thread runs it on its own images.
void BM_ImagePipeline(benchmark::State& state) {
  const auto& jpegs = Jpegs();
  const ImagePipeline& pipeline = TestScalePipeline();
  Rng rng(state.thread_index());
  size_t i = state.thread_index();
  for (auto _ : state) {
    auto image = pipeline.Prepare(jpegs[i++ % jpegs.size()], "bench.jpg", &rng);
    if (!image.ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    ImageBatch batch = pipeline.Collate({*image});
    benchmark::DoNotOptimize(batch.images.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ImagePipeline)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_DecodeJpeg640x480(benchmark::State& state) {
  const auto& jpegs = Jpegs();
  TestScalePipeline();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(DecodeImageBgr(jpegs[i++ % jpegs.size()], "bench.jpg")->data);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeJpeg640x480)->Unit(benchmark::kMillisecond);

void BM_Resize640x480To800x600(benchmark::State& state) {
  const cv::Mat image = *DecodeImageBgr(Jpegs()[0], "bench.jpg");
  for (auto _ : state) benchmark::DoNotOptimize(ResizeKeepRatio(image, {1000, 600}).data);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Resize640x480To800x600)->Unit(benchmark::kMillisecond);

void BM_NormalizePad800x600(benchmark::State& state) {
  const cv::Mat image = ResizeKeepRatio(*DecodeImageBgr(Jpegs()[0], "bench.jpg"), {1000, 600});
  std::vector<float> out(3 * 608 * 800);
  const Normalization norm;
  for (auto _ : state) {
    NormalizeInto(image, norm, out.data(), 608, 800);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizePad800x600)->Unit(benchmark::kMillisecond);

// Collation of a batch of 8 prepared 800x600 images into one [8, 3, 608, 800] tensor.
void BM_Collate8(benchmark::State& state) {
  const ImagePipeline& pipeline = TestScalePipeline();
  Rng rng(0);
  std::vector<cv::Mat> images;
  for (int i = 0; i < 8; ++i) images.push_back(*pipeline.Prepare(Jpegs()[i], "bench.jpg", &rng));
  for (auto _ : state) benchmark::DoNotOptimize(pipeline.Collate(images).images.data_ptr<float>());
  state.SetItemsProcessed(8 * state.iterations());
}
BENCHMARK(BM_Collate8)->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------------------------ loader

struct LoaderFixture {
  std::unique_ptr<PretrainDataset> dataset;
};

const LoaderFixture& Loader() {
  static const auto* fixture = [] {
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = std::string(tmp ? tmp : "/tmp") + "/soho_data_benchmark_" + std::to_string(::getpid());
    CHECK(CreateDirectories(dir + "/images").ok());
    std::vector<PretrainImage> images;
    const std::vector<std::string> captions = {"a red circle on the left of a blue square",
                                               "there are two objects", "a big green circle",
                                               "the square is right of the circle", "a photo of shapes"};
    for (int i = 0; i < kNumImages; ++i) {
      const std::string name = "img" + std::to_string(i) + ".jpg";
      CHECK(WriteFileAtomically(dir + "/images/" + name, Jpegs()[i]).ok());
      images.push_back({name, i, 480, 640, captions, {}});
    }
    CHECK(WritePretrainAnnotations(dir + "/pretrain.json", images).ok());
    std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (const char* w : {"a", "red", "circle", "on", "the", "left", "of", "blue", "square", "there", "are",
                          "two", "objects", "big", "green", "is", "right", "photo", "shapes"}) {
      tokens.push_back(w);
    }
    auto tokenizer = std::shared_ptr<const BertTokenizer>(
        BertTokenizer::FromVocab(*Vocab::FromTokens(tokens, "benchmark vocab")));
    proto::DataConfig data;
    data.add_train()->set_annotation(dir + "/pretrain.json");
    data.mutable_train(0)->set_image_root(dir + "/images");
    data.mutable_image()->mutable_test_scale()->set_long_edge(1000);
    data.mutable_image()->mutable_test_scale()->set_short_edge(600);
    auto* fixture = new LoaderFixture;
    fixture->dataset = *PretrainDataset::Create(data, Split::kTrain, tokenizer);
    return fixture;
  }();
  return *fixture;
}

// Images per second through the whole pre-training loader (batch 8 images x 4 captions).
void BM_PretrainLoader(benchmark::State& state) {
  const PretrainDataset& dataset = *Loader().dataset;
  SamplerOptions sampler;
  sampler.batch_size = 8;
  int64_t images = 0, epoch = 0;
  for (auto _ : state) {
    DataLoader<PretrainDataset> loader(dataset, TrainBatches(dataset.groups(), sampler, epoch),
                                       EpochSeed(0, epoch, 0), {static_cast<int>(state.range(0)), 4}, nullptr);
    ++epoch;
    while (true) {
      auto batch = loader.Next();
      if (!batch.ok() || !batch->has_value()) break;
      images += (*batch)->size();
    }
  }
  state.SetItemsProcessed(images);
}
BENCHMARK(BM_PretrainLoader)->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace soho::data
