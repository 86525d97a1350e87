// Datasets on tiny images written into $TEST_TMPDIR: MLM masking statistics, ITM negatives,
// caption grouping, batch layouts, VQA targets and question ids, loader determinism across
// worker counts, folder vs zip, and every bad-data case.
#include <zip.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/data_loader.h"
#include "soho/data/mlm_masking.h"
#include "soho/data/prepare/synthetic_world.h"
#include "soho/data/pretrain_dataset.h"
#include "soho/data/sampler.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/data/vqa_dataset.h"

namespace soho::data {
namespace {

const std::vector<std::string> kNames = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(base ? base : "/tmp") + "/" + name;
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

std::shared_ptr<const BertTokenizer> Tokenizer() {
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]", "a", "the", "red",
                                     "blue", "circle", "square", "is", "on", "left", "right", "big", "small",
                                     "what", "color", "how", "many", "?", "there", "and"};
  tokens.insert(tokens.end(), kNames.begin(), kNames.end());
  auto vocab = Vocab::FromTokens(tokens, "test vocab");
  EXPECT_TRUE(vocab.ok()) << vocab.status();
  return std::shared_ptr<const BertTokenizer>(BertTokenizer::FromVocab(*std::move(vocab)));
}

// Image k: landscape 64x48 when k is even, portrait 40x56 when odd.
ImageSize SizeOf(int k) { return k % 2 == 0 ? ImageSize{48, 64} : ImageSize{56, 40}; }

void WriteJpeg(const std::string& path, int height, int width, int seed) {
  cv::Mat m(height, width, CV_8UC3);
  cv::randu(m, cv::Scalar::all(seed % 50), cv::Scalar::all(200 + seed % 50));
  std::vector<uint8_t> buf;
  ASSERT_TRUE(cv::imencode(".jpg", m, buf));
  ASSERT_TRUE(WriteFileAtomically(path, std::string(buf.begin(), buf.end())).ok());
}

// Five captions per image, each naming the image's own word so that rows can be traced.
std::vector<PretrainImage> GoodPretrainImages(const std::string& image_dir) {
  std::vector<PretrainImage> images;
  for (int k = 0; k < static_cast<int>(kNames.size()); ++k) {
    const ImageSize size = SizeOf(k);
    WriteJpeg(image_dir + "/" + kNames[k] + ".jpg", size.height, size.width, k);
    const std::string& n = kNames[k];
    images.push_back({kNames[k] + ".jpg", 100 + k, size.height, size.width,
                      {"a red " + n, "the " + n + " is big", n + " on the left", "a small blue " + n,
                       "the " + n + " and a circle"},
                      {}});
  }
  return images;
}

proto::DataConfig BaseConfig(const std::string& annotation, const std::string& image_root) {
  proto::DataConfig c;
  auto* src = c.add_train();
  src->set_annotation(annotation);
  src->set_image_root(image_root);
  *c.add_val() = *src;
  *c.add_test() = *src;
  auto* image = c.mutable_image();
  image->mutable_test_scale()->set_long_edge(64);
  image->mutable_test_scale()->set_short_edge(48);
  for (auto [l, s] : {std::pair{64, 48}, {96, 72}}) {
    auto* scale = image->add_train_scales();
    scale->set_long_edge(l);
    scale->set_short_edge(s);
  }
  image->set_size_divisor(32);
  image->set_min_size(8);
  c.set_max_text_length(10);
  c.set_sentence_group(4);
  c.set_mlm_prob(0.15f);
  c.set_itm_neg_prob(0.5f);
  return c;
}

struct PretrainFixture {
  std::string dir, annotation;
  proto::DataConfig config;
};

PretrainFixture MakePretrainFixture(const std::string& name) {
  PretrainFixture f;
  f.dir = TempDir(name);
  CreateDirectories(f.dir + "/images").IgnoreError();
  f.annotation = f.dir + "/pretrain.json";
  EXPECT_TRUE(WritePretrainAnnotations(f.annotation, GoodPretrainImages(f.dir + "/images")).ok());
  f.config = BaseConfig(f.annotation, f.dir + "/images");
  return f;
}

// Which image word a row of token ids contains (-1: none).
int ImageWordOf(const at::Tensor& row, const BertTokenizer& tok) {
  for (int64_t t = 0; t < row.size(0); ++t) {
    const std::string& token = tok.vocab().TokenOf(static_cast<int>(row[t].item<int64_t>()));
    for (int k = 0; k < static_cast<int>(kNames.size()); ++k) {
      if (token == kNames[k]) return k;
    }
  }
  return -1;
}

// ------------------------------------------------------------------------------ masking

TEST(MlmMaskerTest, MasksFifteenPercentSplitEightyTenTen) {
  auto tok = Tokenizer();
  const Vocab& vocab = tok->vocab();
  MlmMasker masker(vocab, 0.15);
  EXPECT_EQ(masker.random_pool().size(), static_cast<size_t>(vocab.size() - 6));  // 5 specials + [unused0]
  Rng rng(123);
  const int rows = 20000, length = 16, words = 10;
  int64_t eligible = 0, masked = 0, as_mask = 0, as_other = 0, kept = 0;
  for (int r = 0; r < rows; ++r) {
    std::vector<int64_t> ids(length, vocab.pad_id()), labels(length, 7);
    ids[0] = vocab.cls_id();
    for (int t = 1; t <= words; ++t) ids[t] = 6 + (r + t) % (vocab.size() - 6);
    ids[words + 1] = vocab.sep_id();
    ids[3] = vocab.unk_id();
    const std::vector<int64_t> original = ids;
    masker.Apply(ids.data(), labels.data(), length, &rng);
    for (int t = 0; t < length; ++t) {
      const bool special = vocab.IsSpecial(static_cast<int>(original[t]));
      eligible += !special;
      if (labels[t] == kIgnoreLabel) {
        ASSERT_EQ(ids[t], original[t]);
        continue;
      }
      ASSERT_FALSE(special) << "special tokens are never masked";
      ASSERT_EQ(labels[t], original[t]);
      ++masked;
      if (ids[t] == vocab.mask_id()) {
        ++as_mask;
      } else if (ids[t] != original[t]) {
        ++as_other;
        ASSERT_FALSE(vocab.IsSpecial(static_cast<int>(ids[t])));
        ASSERT_NE(vocab.TokenOf(static_cast<int>(ids[t])), "[unused0]");
      } else {
        ++kept;
      }
    }
  }
  ASSERT_EQ(eligible, rows * (words - 1));
  // Binomial standard deviations: masked fraction 0.0008, shares of masked ~0.002-0.003.
  EXPECT_NEAR(static_cast<double>(masked) / eligible, 0.15, 0.005);
  const double pool = static_cast<double>(masker.random_pool().size());
  EXPECT_NEAR(static_cast<double>(as_mask) / masked, 0.8, 0.012);
  // A random replacement can draw the original token (probability 1/pool).
  EXPECT_NEAR(static_cast<double>(as_other) / masked, 0.1 * (1 - 1 / pool), 0.01);
  EXPECT_NEAR(static_cast<double>(kept) / masked, 0.1 + 0.1 / pool, 0.01);
}

// ------------------------------------------------------------------------- pre-training

TEST(PretrainDatasetTest, BatchLayoutTextRowsAndImageMasks) {
  PretrainFixture f = MakePretrainFixture("layout");
  auto tok = Tokenizer();
  auto ds = PretrainDataset::Create(f.config, Split::kTrain, tok);
  ASSERT_TRUE(ds.ok()) << ds.status();
  // 8 images x 5 captions in chunks of 4: 2 samples per image.
  ASSERT_EQ((*ds)->size(), 16);
  EXPECT_EQ((*ds)->groups()[0], 1);  // alpha: landscape
  EXPECT_EQ((*ds)->groups()[2], 0);  // bravo: portrait
  auto batch = (*ds)->LoadBatch({0, 2, 5}, 77);
  ASSERT_TRUE(batch.ok()) << batch.status();
  const int64_t B = 3, G = 4, L = 10;
  EXPECT_EQ(batch->indices, (std::vector<int64_t>{0, 2, 5}));
  EXPECT_TRUE(batch->skipped.empty());
  for (const at::Tensor& t : {batch->input_ids, batch->attention_mask, batch->mlm_labels}) {
    EXPECT_EQ(t.sizes(), (std::vector<int64_t>{B * G, L}));
    EXPECT_EQ(t.scalar_type(), at::kLong);
  }
  EXPECT_EQ(batch->itm_labels.sizes(), (std::vector<int64_t>{B * G}));
  const at::Tensor& images = batch->image.images;
  const at::Tensor& hw = batch->image.valid_hw;
  ASSERT_EQ(images.dim(), 4);
  EXPECT_EQ(images.size(0), B);
  EXPECT_EQ(images.size(2) % 32, 0);
  EXPECT_EQ(images.size(3) % 32, 0);
  for (int64_t i = 0; i < B; ++i) {
    // The valid size is the original resized into one of the two training scales.
    const ImageSize original = SizeOf(static_cast<int>(batch->indices[i] / 2));
    const ImageSize valid{static_cast<int>(hw[i][0].item<int64_t>()), static_cast<int>(hw[i][1].item<int64_t>())};
    EXPECT_TRUE(valid == RescaleSize(original, {64, 48}) || valid == RescaleSize(original, {96, 72}))
        << valid.height << "x" << valid.width;
    EXPECT_EQ(images[i].slice(1, valid.height).abs().sum().item<float>(), 0.f);
    EXPECT_EQ(images[i].slice(2, valid.width).abs().sum().item<float>(), 0.f);
    EXPECT_EQ(images.size(2), RoundUpToMultiple(static_cast<int>(hw.select(1, 0).max().item<int64_t>()), 32));
  }
  for (int64_t r = 0; r < B * G; ++r) {
    EXPECT_EQ(batch->input_ids[r][0].item<int64_t>(), tok->cls_id());
    const int64_t len = batch->attention_mask[r].sum().item<int64_t>();
    EXPECT_EQ(batch->input_ids[r][len - 1].item<int64_t>(), tok->sep_id());
    for (int64_t t = 0; t < L; ++t) {
      const int64_t label = batch->mlm_labels[r][t].item<int64_t>();
      if (t == 0 || t >= len - 1) {
        EXPECT_EQ(label, kIgnoreLabel) << "no MLM on [CLS], [SEP], [PAD]";
      }
      if (t >= len) {
        EXPECT_EQ(batch->input_ids[r][t].item<int64_t>(), tok->pad_id());
      }
    }
  }
}

// Every batch of 20 training epochs of 4-image batches, loaded as the trainer loads them.
std::vector<PretrainBatch> TwentyEpochsOfBatches(const PretrainDataset& ds) {
  SamplerOptions o;
  o.batch_size = 4;
  std::vector<PretrainBatch> out;
  for (int epoch = 0; epoch < 20; ++epoch) {
    const auto batches = TrainBatches(ds.groups(), o, epoch);
    for (size_t k = 0; k < batches.size(); ++k) {
      absl::StatusOr<PretrainBatch> batch = ds.LoadBatch(batches[k], CombineSeeds({EpochSeed(1, epoch, 0), k}));
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (batch.ok()) out.push_back(*std::move(batch));
    }
  }
  return out;
}

TEST(PretrainDatasetTest, ItmNegativesComeFromOtherImagesAboutHalfTheTime) {
  PretrainFixture f = MakePretrainFixture("itm");
  f.config.set_mlm_prob(0);  // keep the words readable
  auto tok = Tokenizer();
  auto ds = PretrainDataset::Create(f.config, Split::kTrain, tok);
  ASSERT_TRUE(ds.ok()) << ds.status();
  int64_t rows = 0, negatives = 0;
  for (const PretrainBatch& batch : TwentyEpochsOfBatches(**ds)) {
    for (int64_t r = 0; r < batch.input_ids.size(0); ++r) {
      const int own = static_cast<int>(batch.indices[r / 4] / 2);
      const int word = ImageWordOf(batch.input_ids[r], *tok);
      ASSERT_GE(word, 0);
      if (batch.itm_labels[r].item<int64_t>() == 1) {
        EXPECT_EQ(word, own);
      } else {
        EXPECT_NE(word, own);
        ++negatives;
      }
      ++rows;
    }
  }
  EXPECT_EQ(rows, 20 * 16 * 4);
  EXPECT_NEAR(static_cast<double>(negatives) / rows, 0.5, 0.06);  // std 0.014
}

// data.itm_row_prob splits the rows between the tasks: a matching row is unmasked (nothing
// for MLM to score) and swapped half the time; a language row is its image's own caption,
// masked, and carries no ITM label.
TEST(PretrainDatasetTest, ItmRowsAreUnmaskedAndLanguageRowsAreTheirImagesOwn) {
  PretrainFixture f = MakePretrainFixture("itm_rows");
  f.config.set_mlm_prob(0.5f);
  f.config.set_itm_row_prob(0.25f);
  auto tok = Tokenizer();
  auto ds = PretrainDataset::Create(f.config, Split::kTrain, tok);
  ASSERT_TRUE(ds.ok()) << ds.status();
  int64_t rows = 0, matching = 0, negatives = 0, masked = 0, language_tokens = 0;
  for (const PretrainBatch& batch : TwentyEpochsOfBatches(**ds)) {
    for (int64_t r = 0; r < batch.input_ids.size(0); ++r) {
      const int own = static_cast<int>(batch.indices[r / 4] / 2);
      const int64_t itm = batch.itm_labels[r].item<int64_t>();
      const at::Tensor labels = batch.mlm_labels[r];
      const int64_t labelled = labels.ne(kIgnoreLabel).sum().item<int64_t>();
      ++rows;
      if (itm == kIgnoreLabel) {  // a language row: its own caption once the masks are undone
        EXPECT_EQ(ImageWordOf(at::where(labels.eq(kIgnoreLabel), batch.input_ids[r], labels), *tok), own);
        masked += labelled;
        language_tokens += batch.attention_mask[r].sum().item<int64_t>() - 2;
        continue;
      }
      ++matching;
      EXPECT_EQ(labelled, 0) << "a matching row has no MLM labels";
      const int word = ImageWordOf(batch.input_ids[r], *tok);
      ASSERT_GE(word, 0) << "a matching row is not masked";
      if (itm == 1) {
        EXPECT_EQ(word, own);
      } else {
        EXPECT_NE(word, own);
        ++negatives;
      }
    }
  }
  EXPECT_NEAR(static_cast<double>(matching) / rows, 0.25, 0.04);  // std 0.012
  EXPECT_NEAR(static_cast<double>(negatives) / matching, 0.5, 0.08);
  EXPECT_NEAR(static_cast<double>(masked) / language_tokens, 0.5, 0.05);
}

TEST(PretrainDatasetTest, LastChunkIsToppedUpWithTheImagesOwnCaptions) {
  PretrainFixture f = MakePretrainFixture("chunks");
  f.config.set_mlm_prob(0);
  f.config.set_itm_neg_prob(0);
  auto tok = Tokenizer();
  auto ds = PretrainDataset::Create(f.config, Split::kTrain, tok);
  ASSERT_TRUE(ds.ok());
  const std::vector<PretrainImage> images = GoodPretrainImages(TempDir("chunks_ref"));
  auto encode = [&](const std::string& text) {
    const Encoding e = tok->Encode(text, 10);
    return std::vector<int64_t>(e.ids.begin(), e.ids.end());
  };
  auto row = [](const at::Tensor& ids, int64_t r) {
    at::Tensor c = ids[r].contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  };
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto first = (*ds)->LoadBatch({6}, seed);  // image 3 (delta), captions 0..3
    auto last = (*ds)->LoadBatch({7}, seed);   // image 3, caption 4 + 3 drawn from its 5
    ASSERT_TRUE(first.ok() && last.ok());
    for (int g = 0; g < 4; ++g) EXPECT_EQ(row(first->input_ids, g), encode(images[3].captions[g]));
    EXPECT_EQ(row(last->input_ids, 0), encode(images[3].captions[4]));
    std::set<std::vector<int64_t>> drawn;
    for (int g = 1; g < 4; ++g) {
      drawn.insert(row(last->input_ids, g));
      EXPECT_EQ(ImageWordOf(last->input_ids[g], *tok), 3);
    }
    EXPECT_EQ(drawn.size(), 3u) << "drawn without replacement";
  }
}

// Both datasets draw the text of a batch position from a stream of its own (TextRng): the
// same batch gives the same text whether the image pipeline draws one number per image
// (VALUE scales) or two (RANGE).
TEST(PretrainDatasetTest, TextDoesNotDependOnTheImagesRandomDraws) {
  PretrainFixture f = MakePretrainFixture("text_stream");
  auto tok = Tokenizer();
  auto value = PretrainDataset::Create(f.config, Split::kTrain, tok);
  f.config.mutable_image()->set_scale_mode(proto::ImageConfig::RANGE);
  auto range = PretrainDataset::Create(f.config, Split::kTrain, tok);
  ASSERT_TRUE(value.ok() && range.ok());
  for (uint64_t seed = 0; seed < 5; ++seed) {
    auto a = (*value)->LoadBatch({1, 3, 7}, seed);
    auto b = (*range)->LoadBatch({1, 3, 7}, seed);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(at::equal(a->input_ids, b->input_ids)) << seed;
    EXPECT_TRUE(at::equal(a->mlm_labels, b->mlm_labels)) << seed;
    EXPECT_TRUE(at::equal(a->itm_labels, b->itm_labels)) << seed;
  }
}

// Every tensor of two batch lists, byte for byte.
void ExpectSameBatches(const std::vector<PretrainBatch>& a, const std::vector<PretrainBatch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_TRUE(at::equal(a[k].image.images, b[k].image.images)) << k;
    EXPECT_TRUE(at::equal(a[k].image.valid_hw, b[k].image.valid_hw)) << k;
    EXPECT_TRUE(at::equal(a[k].input_ids, b[k].input_ids)) << k;
    EXPECT_TRUE(at::equal(a[k].attention_mask, b[k].attention_mask)) << k;
    EXPECT_TRUE(at::equal(a[k].mlm_labels, b[k].mlm_labels)) << k;
    EXPECT_TRUE(at::equal(a[k].itm_labels, b[k].itm_labels)) << k;
    EXPECT_EQ(a[k].indices, b[k].indices) << k;
    EXPECT_EQ(a[k].skipped.size(), b[k].skipped.size()) << k;
  }
}

absl::StatusOr<std::vector<PretrainBatch>> RunEpoch(const PretrainDataset& ds, int workers, int64_t epoch,
                                                    SkipTracker* skips) {
  SamplerOptions o;
  o.batch_size = 3;
  o.seed = 9;
  DataLoader<PretrainDataset> loader(ds, TrainBatches(ds.groups(), o, epoch), EpochSeed(9, epoch, 0), {workers, 2},
                                     skips);
  std::vector<PretrainBatch> out;
  while (true) {
    SOHO_ASSIGN_OR_RETURN(std::optional<PretrainBatch> batch, loader.Next());
    if (!batch) return out;
    out.push_back(*std::move(batch));
  }
}

TEST(PretrainLoaderTest, ByteIdenticalBatchesWithZeroOneAndThreeWorkers) {
  PretrainFixture f = MakePretrainFixture("determinism");
  // One missing image too, so that replacements are part of what must not vary.
  std::vector<PretrainImage> images = GoodPretrainImages(f.dir + "/images");
  images.push_back({"missing.jpg", 999, 48, 64, {"a red alpha"}, {}});
  ASSERT_TRUE(WritePretrainAnnotations(f.annotation, images).ok());
  auto ds = PretrainDataset::Create(f.config, Split::kTrain, Tokenizer());
  ASSERT_TRUE(ds.ok()) << ds.status();
  auto zero = RunEpoch(**ds, 0, 3, nullptr);
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->size(), 6u);  // groups 8 + 9 padded to multiples of 3: 9 + 9 = 18 samples
  int skipped = 0;
  for (const auto& b : *zero) skipped += static_cast<int>(b.skipped.size());
  EXPECT_GE(skipped, 1);
  for (int workers : {1, 3}) {
    auto other = RunEpoch(**ds, workers, 3, nullptr);
    ASSERT_TRUE(other.ok()) << other.status();
    ExpectSameBatches(*zero, *other);
  }
  auto next_epoch = RunEpoch(**ds, 2, 4, nullptr);
  ASSERT_TRUE(next_epoch.ok());
  EXPECT_FALSE(at::equal((*zero)[0].input_ids, (*next_epoch)[0].input_ids));
}

void ZipFolder(const std::string& folder, const std::vector<std::string>& files, const std::string& zip_path) {
  int error = 0;
  zip_t* z = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(z, nullptr);
  for (const std::string& f : files) {
    zip_source_t* src = zip_source_file(z, (folder + "/" + f).c_str(), 0, -1);
    ASSERT_NE(src, nullptr);
    ASSERT_GE(zip_file_add(z, ("images/" + f).c_str(), src, 0), 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

TEST(PretrainDatasetTest, ZipImageRootGivesTheSameBatches) {
  PretrainFixture f = MakePretrainFixture("zip");
  std::vector<std::string> files;
  for (const std::string& n : kNames) files.push_back(n + ".jpg");
  ZipFolder(f.dir + "/images", files, f.dir + "/images.zip");
  proto::DataConfig zipped = f.config;
  zipped.mutable_train(0)->set_image_root(f.dir + "/images.zip");
  auto tok = Tokenizer();
  auto from_folder = PretrainDataset::Create(f.config, Split::kTrain, tok);
  auto from_zip = PretrainDataset::Create(zipped, Split::kTrain, tok);
  ASSERT_TRUE(from_folder.ok() && from_zip.ok()) << from_zip.status();
  auto a = RunEpoch(**from_folder, 2, 0, nullptr);
  auto b = RunEpoch(**from_zip, 2, 0, nullptr);
  ASSERT_TRUE(a.ok() && b.ok()) << b.status();
  ExpectSameBatches(*a, *b);
}

// ------------------------------------------------------------------------------ bad data

TEST(BadDataTest, BadImagesAndEntriesAreSkippedCountedAndLimited) {
  PretrainFixture f = MakePretrainFixture("bad");
  const std::string img = f.dir + "/images";
  ASSERT_TRUE(WriteFileAtomically(img + "/empty.jpg", "").ok());
  std::string jpeg = *ReadFileToString(img + "/alpha.jpg");
  ASSERT_TRUE(WriteFileAtomically(img + "/truncated.jpg", jpeg.substr(0, jpeg.size() / 2)).ok());
  ASSERT_TRUE(WriteFileAtomically(img + "/garbage.jpg", std::string(500, '\x42')).ok());
  WriteJpeg(img + "/tiny.jpg", 4, 4, 1);
  std::vector<PretrainImage> images = GoodPretrainImages(img);
  for (const char* name : {"missing.jpg", "empty.jpg", "truncated.jpg", "garbage.jpg", "tiny.jpg"}) {
    // Size 0 = unknown: the problem shows only when the image is read.
    images.push_back({name, 500 + static_cast<int64_t>(images.size()), 0, 0, {"a red alpha"}, {}});
  }
  // Recorded as too small: left out when the annotation is read.
  images.push_back({"tiny.jpg", 900, 4, 4, {"a red alpha"}, {}});
  nlohmann::json json = PretrainAnnotationsToJson(images);
  json.push_back({{"image_id", 901}, {"height", 10}, {"width", 10}, {"captions", {"no file name"}}});  // malformed
  ASSERT_TRUE(WriteFileAtomically(f.annotation, json.dump()).ok());

  auto ds = PretrainDataset::Create(f.config, Split::kTrain, Tokenizer());
  ASSERT_TRUE(ds.ok()) << ds.status();
  ASSERT_EQ((*ds)->size(), 16 + 5);
  auto lenient = (*ds)->NewSkipTracker(0.5);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ((*lenient)->skipped(), 2);  // the malformed entry and the recorded-too-small one
  auto epoch = RunEpoch(**ds, 2, 0, lenient->get());
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  std::map<std::string, std::string> reasons;  // file -> reason
  for (const auto& b : *epoch) {
    EXPECT_EQ(b.size(), 3);  // replaced: batches stay full
    for (const SkippedSample& s : b.skipped) {
      for (const char* name : {"missing.jpg", "empty.jpg", "truncated.jpg", "garbage.jpg", "tiny.jpg"}) {
        if (s.reason.find(img + "/" + name) != std::string::npos) reasons[name] = s.reason;
      }
    }
  }
  ASSERT_EQ(reasons.size(), 5u) << "every bad image is reported, naming its file";
  EXPECT_NE(reasons["missing.jpg"].find("cannot open"), std::string::npos);
  EXPECT_NE(reasons["empty.jpg"].find("empty image file"), std::string::npos);
  EXPECT_NE(reasons["truncated.jpg"].find("truncated JPEG"), std::string::npos);
  EXPECT_NE(reasons["garbage.jpg"].find("cannot decode"), std::string::npos);
  EXPECT_NE(reasons["tiny.jpg"].find("below the minimum size"), std::string::npos);
  EXPECT_EQ((*lenient)->skipped(), 2 + 5);

  // 7 of 23 entries are bad: a 20% limit stops the run with a clear error.
  auto strict = (*ds)->NewSkipTracker(0.2);
  ASSERT_TRUE(strict.ok());
  auto stopped = RunEpoch(**ds, 2, 0, strict->get());
  ASSERT_FALSE(stopped.ok());
  EXPECT_NE(stopped.status().message().find("max_skipped_fraction"), std::string::npos) << stopped.status();
  EXPECT_NE(stopped.status().message().find(f.annotation), std::string::npos);
  // A limit the entries dropped at load already exceed fails up front.
  auto hopeless = (*ds)->NewSkipTracker(0.01);
  EXPECT_FALSE(hopeless.ok());
}

TEST(BadDataTest, MalformedJsonFailsAtLoadNamingTheFile) {
  const std::string dir = TempDir("malformed");
  ASSERT_TRUE(WriteFileAtomically(dir + "/broken.json", "[{\"file_name\": \"a.jpg\",").ok());
  proto::DataConfig c = BaseConfig(dir + "/broken.json", dir);
  auto ds = PretrainDataset::Create(c, Split::kTrain, Tokenizer());
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find(dir + "/broken.json"), std::string::npos) << ds.status();
  auto vqa = VqaDataset::Create(c, Split::kTrain, Tokenizer());
  ASSERT_FALSE(vqa.ok());
  EXPECT_NE(vqa.status().message().find(dir + "/broken.json"), std::string::npos) << vqa.status();
}

// ----------------------------------------------------------------------------------- VQA

struct VqaFixture {
  std::string dir, annotation;
  proto::DataConfig config;
};

// 3 images with 3, 1 and 2 questions; answers: yes, no, 2, red.
VqaFixture MakeVqaFixture(const std::string& name, bool with_answers, bool with_missing_image = false) {
  VqaFixture f;
  f.dir = TempDir(name);
  CreateDirectories(f.dir + "/images").IgnoreError();
  std::vector<VqaImage> images;
  const int counts[] = {3, 1, 2};
  int64_t qid = 1000;
  for (int k = 0; k < 3; ++k) {
    const ImageSize size = SizeOf(k);
    const std::string file = kNames[k] + ".jpg";
    if (!(with_missing_image && k == 1)) WriteJpeg(f.dir + "/images/" + file, size.height, size.width, k);
    VqaImage image{file, 10 + k, size.height, size.width, {}};
    for (int q = 0; q < counts[k]; ++q) {
      VqaQuestion question;
      question.question = "what color is the " + kNames[k] + " ?";
      question.question_id = qid++;
      if (with_answers) {
        question.labels = {q % 4, 3};
        question.scores = {0.3 * (q + 1), 1.0};
      } else {
        question.has_answers = false;
      }
      image.questions.push_back(question);
    }
    images.push_back(image);
  }
  auto answers = AnswerVocab::FromList({"yes", "no", "2", "red"});
  EXPECT_TRUE(answers.ok());
  f.annotation = f.dir + "/vqa.json";
  EXPECT_TRUE(WriteVqaAnnotations(f.annotation, images, *answers).ok());
  f.config = BaseConfig(f.annotation, f.dir + "/images");
  f.config.set_sentence_group(2);
  return f;
}

TEST(VqaDatasetTest, TrainingGroupsQuestionsWithSoftTargets) {
  VqaFixture f = MakeVqaFixture("vqa_train", true);
  auto tok = Tokenizer();
  auto ds = VqaDataset::Create(f.config, Split::kTrain, tok);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ((*ds)->num_answers(), 4);
  EXPECT_EQ((*ds)->questions_per_sample(), 2);
  ASSERT_EQ((*ds)->size(), 2 + 1 + 1);  // chunks of 2: {q0,q1}, {q2}, {q3}, {q4,q5}
  auto batch = (*ds)->LoadBatch({0, 1}, 5);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->image.images.size(0), 2);
  EXPECT_EQ(batch->input_ids.sizes(), (std::vector<int64_t>{4, 10}));
  EXPECT_EQ(batch->attention_mask.sizes(), (std::vector<int64_t>{4, 10}));
  ASSERT_EQ(batch->targets.sizes(), (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(batch->targets.scalar_type(), at::kFloat);
  ASSERT_EQ(batch->question_ids.scalar_type(), at::kLong);
  // Sample 0: questions 1000 (labels {0, 3}, scores {0.3, 1}) and 1001 ({1, 3}, {0.6, 1}).
  EXPECT_EQ(batch->question_ids[0].item<int64_t>(), 1000);
  EXPECT_EQ(batch->question_ids[1].item<int64_t>(), 1001);
  const std::vector<float> t0 = {0.3f, 0, 0, 1}, t1 = {0, 0.6f, 0, 1};
  for (int a = 0; a < 4; ++a) {
    EXPECT_FLOAT_EQ(batch->targets[0][a].item<float>(), t0[a]);
    EXPECT_FLOAT_EQ(batch->targets[1][a].item<float>(), t1[a]);
  }
  // Sample 1 (question 1002) is topped up with another question of image 0.
  EXPECT_EQ(batch->question_ids[2].item<int64_t>(), 1002);
  const int64_t filler = batch->question_ids[3].item<int64_t>();
  EXPECT_TRUE(filler >= 1000 && filler <= 1002);
  for (int r = 0; r < 4; ++r) EXPECT_EQ(ImageWordOf(batch->input_ids[r], *tok), 0);
}

TEST(VqaDatasetTest, TextDoesNotDependOnTheImagesRandomDraws) {
  VqaFixture f = MakeVqaFixture("vqa_text_stream", true);
  auto tok = Tokenizer();
  auto value = VqaDataset::Create(f.config, Split::kTrain, tok);
  f.config.mutable_image()->set_scale_mode(proto::ImageConfig::RANGE);
  auto range = VqaDataset::Create(f.config, Split::kTrain, tok);
  ASSERT_TRUE(value.ok() && range.ok());
  for (uint64_t seed = 0; seed < 5; ++seed) {
    auto a = (*value)->LoadBatch({1, 2}, seed);  // short chunks: their top-ups are drawn
    auto b = (*range)->LoadBatch({1, 2}, seed);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(at::equal(a->question_ids, b->question_ids)) << seed;
    EXPECT_TRUE(at::equal(a->input_ids, b->input_ids)) << seed;
  }
}

TEST(VqaDatasetTest, EvaluationSeesEveryQuestionOnceAndDropsBadImages) {
  VqaFixture f = MakeVqaFixture("vqa_eval", true, /*with_missing_image=*/true);
  auto ds = VqaDataset::Create(f.config, Split::kVal, Tokenizer());
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ((*ds)->questions_per_sample(), 1);
  ASSERT_EQ((*ds)->size(), 6);
  std::vector<int64_t> qids;
  std::vector<SkippedSample> skipped;
  for (int rank = 0; rank < 2; ++rank) {
    for (const auto& indices : EvalBatches((*ds)->size(), 4, rank, 2)) {
      auto batch = (*ds)->LoadBatch(indices, 1);
      ASSERT_TRUE(batch.ok()) << batch.status();
      EXPECT_EQ(batch->question_ids.size(0), batch->size());
      if (batch->size() > 0) {
        EXPECT_EQ(batch->image.images.size(0), batch->size());
      }
      for (int64_t i = 0; i < batch->size(); ++i) qids.push_back(batch->question_ids[i].item<int64_t>());
      skipped.insert(skipped.end(), batch->skipped.begin(), batch->skipped.end());
    }
  }
  // Image 1 (question 1003) is missing: dropped, not replaced.
  EXPECT_EQ(qids, (std::vector<int64_t>{1000, 1001, 1002, 1004, 1005}));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].reason.find("bravo.jpg"), std::string::npos);
}

TEST(VqaDatasetTest, TestQuestionsCarryIdsAndZeroTargets) {
  VqaFixture f = MakeVqaFixture("vqa_test", false);
  auto ds = VqaDataset::Create(f.config, Split::kTest, Tokenizer());
  ASSERT_TRUE(ds.ok()) << ds.status();
  auto batch = (*ds)->LoadBatch({0, 3, 5}, 0);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->question_ids.sizes(), (std::vector<int64_t>{3}));
  EXPECT_EQ(batch->question_ids[0].item<int64_t>(), 1000);
  EXPECT_EQ(batch->question_ids[1].item<int64_t>(), 1003);
  EXPECT_EQ(batch->question_ids[2].item<int64_t>(), 1005);
  EXPECT_EQ(batch->targets.abs().sum().item<float>(), 0.f);
}

// --------------------------------------------------------------------- synthetic world

// The embedded default data (made by `prepare`) through every dataset and the loader.
TEST(SyntheticWorldTest, EverySplitLoadsWithoutSkipsAndEveryEvalQuestionOnce) {
  SyntheticWorldOptions world;
  world.out_dir = TempDir("synthetic");
  world.num_images = 12;
  world.num_eval_images = 4;
  world.seed = 3;
  world.num_threads = 1;
  auto report = GenerateSyntheticWorld(world);
  ASSERT_TRUE(report.ok()) << report.status();
  auto tokenizer = BertTokenizer::Create(world.out_dir + "/vocab.txt");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  std::shared_ptr<const BertTokenizer> tok = *std::move(tokenizer);

  proto::DataConfig data = BaseConfig(world.out_dir + "/pretrain_train.json", world.out_dir + "/images");
  data.mutable_val(0)->set_annotation(world.out_dir + "/pretrain_val.json");
  data.set_batch_size(4);
  auto pretrain = PretrainDataset::Create(data, Split::kTrain, tok);
  ASSERT_TRUE(pretrain.ok()) << pretrain.status();
  auto skips = (*pretrain)->NewSkipTracker(0.0);
  ASSERT_TRUE(skips.ok()) << skips.status();
  auto epoch = RunEpoch(**pretrain, 2, 0, skips->get());
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  EXPECT_FALSE(epoch->empty());
  for (const PretrainBatch& b : *epoch) {
    EXPECT_TRUE(b.skipped.empty());
    EXPECT_EQ(b.input_ids.size(0), b.size() * 4);
    EXPECT_GT(b.mlm_labels.ne(kIgnoreLabel).sum().item<int64_t>(), 0);
  }
  EXPECT_TRUE(PretrainDataset::Create(data, Split::kVal, tok).ok());

  for (Split split : {Split::kTrain, Split::kVal, Split::kTest}) {
    proto::DataConfig vqa_data = data;
    for (auto [source, name] : {std::pair{vqa_data.mutable_train(0), "train"},
                                {vqa_data.mutable_val(0), "val"}, {vqa_data.mutable_test(0), "test"}}) {
      source->set_annotation(world.out_dir + "/vqa_" + name + ".json");
    }
    auto vqa = VqaDataset::Create(vqa_data, split, tok);
    ASSERT_TRUE(vqa.ok()) << vqa.status();
    EXPECT_EQ((*vqa)->num_answers(), report->num_answers);
    std::set<int64_t> seen;
    int64_t rows = 0;
    DataLoader<VqaDataset> loader(**vqa, EvalBatches((*vqa)->size(), 4, 0, 1), 0, {2, 2}, nullptr);
    while (true) {
      auto batch = loader.Next();
      ASSERT_TRUE(batch.ok()) << batch.status();
      if (!batch->has_value()) break;
      EXPECT_TRUE((*batch)->skipped.empty());
      rows += (*batch)->question_ids.size(0);
      for (int64_t i = 0; i < (*batch)->question_ids.size(0); ++i) seen.insert((*batch)->question_ids[i].item<int64_t>());
      const float target_sum = (*batch)->targets.sum().item<float>();
      if (split == Split::kTest) {
        EXPECT_EQ(target_sum, 0.f);
      } else {
        EXPECT_GT(target_sum, 0.f);
      }
    }
    if (split != Split::kTrain) {
      EXPECT_EQ(static_cast<int64_t>(seen.size()), rows) << "each question once";
    }
    EXPECT_GT(rows, 0);
  }
}

}  // namespace
}  // namespace soho::data
