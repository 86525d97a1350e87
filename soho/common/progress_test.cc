#include "soho/common/progress.h"

#include "gtest/gtest.h"

namespace soho {
namespace {

TEST(Progress, FormatDuration) {
  EXPECT_EQ(FormatDuration(12.34), "12.3s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
  EXPECT_EQ(FormatDuration(-1), "?");
}

TEST(Progress, StatusLineHasCountsAndEta) {
  ProgressMeter meter("train", 100, /*min_interval_seconds=*/1e9);
  meter.Update(25, "loss 1.0");
  const std::string line = meter.StatusLine("loss 1.0");
  EXPECT_NE(line.find("train 25/100 (25.0%)"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA"), std::string::npos) << line;
  EXPECT_NE(line.find("loss 1.0"), std::string::npos) << line;
}

TEST(Progress, UnknownTotalHasNoEta) {
  ProgressMeter meter("scan", 0, 1e9);
  meter.Update(7);
  EXPECT_EQ(meter.EtaSeconds(), -1);
  EXPECT_EQ(meter.StatusLine("").find("ETA"), std::string::npos);
}

}  // namespace
}  // namespace soho
