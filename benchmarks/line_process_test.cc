#include "benchmarks/line_process.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace soho::bench {
namespace {

TEST(LineProcessTest, AnswersEachRequestWithALine) {
  auto child = LineProcess::Start({"/bin/sh", "-c", "echo ready; while read l; do echo \"got $l\"; done"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto greeting = (*child)->ReadLine();
  ASSERT_TRUE(greeting.ok()) << greeting.status();
  EXPECT_EQ(*greeting, "ready");
  for (const char* request : {"step", "two words", ""}) {
    auto answer = (*child)->Request(request);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(*answer, std::string("got ") + request);
  }
}

TEST(LineProcessTest, AChildThatEndsIsAnErrorSayingHow) {
  auto child = LineProcess::Start({"/bin/sh", "-c", "read l; exit 3"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto answer = (*child)->Request("step");
  ASSERT_FALSE(answer.ok());
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "/bin/sh")) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "exited with status 3")) << answer.status();
  // Writing to it again fails the same way instead of killing this process (SIGPIPE).
  EXPECT_FALSE((*child)->Request("step").ok());
}

TEST(LineProcessTest, AMissingProgramIsNotFound) {
  auto child = LineProcess::Start({"/nonexistent/python3", "script.py"});
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(child.status().message(), "/nonexistent/python3")) << child.status();
}

}  // namespace
}  // namespace soho::bench
