#include "soho/common/file_util.h"

#include <cstdlib>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace soho {
namespace {

std::string TempDir() { return std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp"; }

TEST(FileUtil, AtomicWriteThenReadRoundTrips) {
  const std::string path = TempDir() + "/a/b/c.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "hello\0world").ok());
  auto read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "hello");
  EXPECT_FALSE(PathExists(path + ".tmp." + std::to_string(::getpid())));
}

TEST(FileUtil, MissingFileErrorNamesPath) {
  auto read = ReadFileToString("/nonexistent/soho.txt");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("/nonexistent/soho.txt"), std::string::npos);
}

TEST(FileUtil, DirectoryIsNamedAsSuch) {
  auto read = ReadFileToString(TempDir());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("is a directory"), std::string::npos) << read.status();
}

TEST(FileUtil, SizeCapHoldsForFilesAndEndlessDevices) {
  const std::string path = TempDir() + "/ten.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "0123456789").ok());
  EXPECT_TRUE(ReadFileToString(path, 10).ok());
  EXPECT_EQ(ReadFileToString(path, 9).status().code(), absl::StatusCode::kResourceExhausted);
  // /dev/zero has no size and no end: the cap, not memory, must stop the read.
  auto zero = ReadFileToString("/dev/zero", 1 << 20);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("/dev/zero: larger than 1048576 bytes"), std::string::npos)
      << zero.status();
}

TEST(FileUtil, ResolvePathKeepsAbsolute) {
  EXPECT_EQ(ResolvePath("/base", "/abs/x"), "/abs/x");
  EXPECT_EQ(ResolvePath("/base", "rel/x"), "/base/rel/x");
  EXPECT_EQ(ResolvePath("", "rel/x"), "rel/x");
}

}  // namespace
}  // namespace soho
