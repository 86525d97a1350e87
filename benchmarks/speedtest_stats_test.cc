#include "benchmarks/speedtest_stats.h"

#include <gtest/gtest.h>

namespace soho::bench {
namespace {

TEST(PercentileTest, InterpolatesLinearlyLikeNumpy) {
  // numpy.percentile([4, 1, 3, 2], q): 50 -> 2.5, 10 -> 1.3, 90 -> 3.7, 0 -> 1, 100 -> 4.
  const std::vector<double> samples = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(Percentile(samples, 50), 2.5);
  EXPECT_NEAR(Percentile(samples, 10), 1.3, 1e-12);
  EXPECT_NEAR(Percentile(samples, 90), 3.7, 1e-12);
  EXPECT_DOUBLE_EQ(Percentile(samples, 0), 1);
  EXPECT_DOUBLE_EQ(Percentile(samples, 100), 4);
  EXPECT_DOUBLE_EQ(Percentile({7}, 90), 7);
  EXPECT_DOUBLE_EQ(Percentile({}, 50), 0);
}

TEST(SummarizeTest, MedianSpreadAndExtremes) {
  const Summary s = Summarize({5, 1, 2, 10, 3});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_NEAR(s.p10, 1.4, 1e-12);  // 1 + 0.4 * (2 - 1)
  EXPECT_NEAR(s.p90, 8.0, 1e-12);  // 5 + 0.6 * (10 - 5)
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(s.mean, 4.2);
}

TEST(ClaimTest, PassesAtTheRatioAndFailsBelowIt) {
  const ClaimCheck pass = CheckClaim(/*soho=*/0.1, /*region=*/1.0, 10, /*paper_setting=*/true);
  EXPECT_DOUBLE_EQ(pass.ratio, 10);
  EXPECT_TRUE(pass.applies);
  EXPECT_TRUE(pass.passed);
  EXPECT_EQ(ExitCodeFor(pass), 0);
  EXPECT_NE(pass.verdict.find("PASS"), std::string::npos);

  const ClaimCheck fail = CheckClaim(0.2, 1.0, 10, true);
  EXPECT_DOUBLE_EQ(fail.ratio, 5);
  EXPECT_FALSE(fail.passed);
  EXPECT_EQ(ExitCodeFor(fail), 1);
  EXPECT_NE(fail.verdict.find("FAIL"), std::string::npos);

  // A lower bar set by --min_ratio.
  EXPECT_EQ(ExitCodeFor(CheckClaim(0.2, 1.0, 4.5, true)), 0);
}

TEST(ClaimTest, OtherSettingsReportButNeverFail) {
  EXPECT_TRUE(IsPaperSetting(101, 12));
  EXPECT_FALSE(IsPaperSetting(18, 12));
  EXPECT_FALSE(IsPaperSetting(101, 3));
  const ClaimCheck check = CheckClaim(0.5, 1.0, 10, IsPaperSetting(18, 3));
  EXPECT_DOUBLE_EQ(check.ratio, 2);
  EXPECT_FALSE(check.applies);
  EXPECT_FALSE(check.passed);
  EXPECT_EQ(ExitCodeFor(check), 0);
}

}  // namespace
}  // namespace soho::bench
