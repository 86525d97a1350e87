// Fuzzes the run-config loader (text-format parser, brace diagnosis, defaults, validation,
// printing) and --set overrides with random and mutated versions of the shipped configs:
// every input must give a config or an error naming its source, never a crash.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/fuzz_testing.h"
#include "soho/proto/config_loader.h"

namespace soho::proto {
namespace {

using ::testing::HasSubstr;

void LoadEveryWay(const std::string& input) {
  absl::StatusOr<proto::SohoConfig> config = ParseConfigText(input, "fuzz.pbtxt");
  if (!config.ok()) {
    EXPECT_THAT(std::string(config.status().message()), HasSubstr("fuzz.pbtxt"));
    return;
  }
  ResolveDefaults(&*config);
  const absl::Status valid = ValidateConfig(*config, ValidateOptions{.check_files = false});
  if (!valid.ok()) EXPECT_FALSE(valid.message().empty());
  EXPECT_TRUE(ParseConfigText(ConfigToText(*config), "printed").ok());
  // The same bytes as --set overrides on a valid config.
  proto::SohoConfig base;
  ResolveDefaults(&base);
  const absl::Status set = ApplyOverrides(SplitOverrides(input), &base);
  if (!set.ok()) EXPECT_THAT(std::string(set.message()), HasSubstr("--set"));
}

TEST(ConfigFuzzTest, LoaderGivesAConfigOrAnErrorNamingTheSource) {
  std::vector<std::string> seeds;
  for (const char* dir : {"configs/tiny", "configs/pretrain", "configs/vqa", "testdata/bad_inputs/configs"}) {
    for (std::string& file : testing::ReadFilesIn(dir)) seeds.push_back(std::move(file));
  }
  seeds.push_back("runtime.seed=3,data.train[0].annotation=a.json,schedule.step_epochs=[1,2]");
  ASSERT_GE(seeds.size(), 6u);
  const int64_t runs = testing::FuzzFor(3.0, seeds, /*rng_seed=*/7, LoadEveryWay);
  EXPECT_GT(runs, static_cast<int64_t>(seeds.size()));
  RecordProperty("runs", static_cast<int>(runs));
}

}  // namespace
}  // namespace soho::proto
