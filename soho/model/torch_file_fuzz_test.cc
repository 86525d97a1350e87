// Fuzzes the torch.save reader (zip and legacy pickle formats) with random and mutated
// versions of two small state dicts: every input must give a value or an error naming the
// file, never a crash, an exception or an allocation of the size a corrupt header claims.
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/fuzz_testing.h"
#include "soho/model/torch_file.h"

namespace soho::model {
namespace {

using ::testing::HasSubstr;

TEST(TorchFileFuzzTest, ReaderGivesAValueOrAnErrorNamingTheFile) {
  // The reader takes a path (the zip format goes through libzip), so each input is a file.
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/fuzz.pt";
  std::vector<std::string> seeds = testing::ReadFilesIn("testdata/fuzz_seeds/torch");
  ASSERT_EQ(seeds.size(), 2u);
  const int64_t runs = testing::FuzzFor(3.0, seeds, /*rng_seed=*/3, [&](const std::string& input) {
    // A plain write: WriteFileAtomically's fsyncs would allow a few inputs per second.
    std::ofstream(path, std::ios::binary | std::ios::trunc) << input;
    const absl::StatusOr<c10::IValue> value = ReadTorchFile(path);
    if (!value.ok()) EXPECT_THAT(std::string(value.status().message()), HasSubstr(path));
  });
  EXPECT_GT(runs, 2);
  RecordProperty("runs", static_cast<int>(runs));
}

}  // namespace
}  // namespace soho::model
