// Fuzzes the JSON readers (parser, the project's annotation files, and the COCO, Visual
// Genome and VQA v2 converters) with random and mutated versions of the fixtures: every
// input must give a value or an error naming the file, never a crash or an exception.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/fuzz_testing.h"
#include "soho/data/annotations/json_file.h"
#include "soho/data/annotations/pretrain_annotation.h"
#include "soho/data/annotations/vqa_annotation.h"
#include "soho/data/prepare/coco_captions.h"
#include "soho/data/prepare/conversion_summary.h"
#include "soho/data/prepare/visual_genome.h"
#include "soho/data/prepare/vqa_v2.h"

namespace soho::data {
namespace {

using ::testing::HasSubstr;

constexpr char kName[] = "fuzz.json";

template <typename T>
void ExpectValueOrNamedError(const absl::StatusOr<T>& result) {
  if (!result.ok()) EXPECT_THAT(std::string(result.status().message()), HasSubstr(kName));
}

void ReadEveryWay(const std::string& input) {
  const absl::StatusOr<nlohmann::json> root = ParseJson(input, kName);
  ExpectValueOrNamedError(root);
  if (!root.ok()) return;
  ExpectValueOrNamedError(PretrainAnnotationsFromJson(*root, kName));
  ExpectValueOrNamedError(VqaAnnotationsFromJson(*root, kName));
  ConversionSummary summary("fuzz", /*warnings_per_reason=*/0);
  ExpectValueOrNamedError(ConvertCocoCaptions(*root, kName, &summary));
  ExpectValueOrNamedError(ReadCocoImageSizes(*root, kName));
  ExpectValueOrNamedError(ConvertVisualGenome(*root, kName, *root, kName, &summary));
  AnswerVocabBuilder builder(/*min_count=*/1);
  if (builder.Add(*root, kName, &summary).ok()) {
    const AnswerVocab answers = builder.Build();
    ExpectValueOrNamedError(ConvertVqaV2({&*root, kName, &*root, kName}, answers, {}, &summary));
    ExpectValueOrNamedError(ConvertVqaV2({&*root, kName, nullptr, ""}, answers, {}, &summary));
  }
}

TEST(JsonFuzzTest, ReadersGiveAValueOrAnErrorNamingTheFile) {
  std::vector<std::string> seeds;
  for (const char* dir : {"testdata/coco", "testdata/vg", "testdata/vqa", "testdata/bad_inputs/json"}) {
    for (std::string& file : testing::ReadFilesIn(dir)) seeds.push_back(std::move(file));
  }
  ASSERT_GE(seeds.size(), 10u);
  const int64_t runs = testing::FuzzFor(3.0, seeds, /*rng_seed=*/12, ReadEveryWay);
  EXPECT_GT(runs, static_cast<int64_t>(seeds.size()));
  RecordProperty("runs", static_cast<int>(runs));
}

}  // namespace
}  // namespace soho::data
