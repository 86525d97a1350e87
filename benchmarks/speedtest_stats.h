#pragma once
// The speedtest's statistics and its pass/fail decision, kept free of LibTorch so they are
// cheap to test.
#include <string>
#include <vector>

namespace soho::bench {

// Linear-interpolation percentile (NumPy's default): q in [0, 100] of unsorted `samples`.
double Percentile(std::vector<double> samples, double q);

struct Summary {
  int count = 0;
  double median = 0;
  double p10 = 0;
  double p90 = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
};

Summary Summarize(const std::vector<double>& samples);

// The paper's claim: SOHO runs inference about 10x faster than region-based models. It is
// stated for ResNet-101 backbones and 12 transformer layers (the paper's setting).
struct ClaimCheck {
  double ratio = 0;      // region latency / SOHO latency
  double min_ratio = 0;  // what the claim requires
  bool applies = false;  // the run used the paper's setting
  bool passed = false;   // applies and ratio >= min_ratio
  std::string verdict;   // one line for people
};

bool IsPaperSetting(int depth, int layers);

// region_seconds / soho_seconds are per-image latencies (medians) of the same inputs.
ClaimCheck CheckClaim(double soho_seconds, double region_seconds, double min_ratio, bool paper_setting);

// 0 when the claim holds or does not apply to this setting; 1 when it was checked and failed.
int ExitCodeFor(const ClaimCheck& check);

}  // namespace soho::bench
