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

TEST(FileUtil, ResolvePathKeepsAbsolute) {
  EXPECT_EQ(ResolvePath("/base", "/abs/x"), "/abs/x");
  EXPECT_EQ(ResolvePath("/base", "rel/x"), "/base/rel/x");
  EXPECT_EQ(ResolvePath("", "rel/x"), "rel/x");
}

}  // namespace
}  // namespace soho
