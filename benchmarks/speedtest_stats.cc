#include "benchmarks/speedtest_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_format.h"

namespace soho::bench {

double Percentile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const double position = q / 100.0 * static_cast<double>(samples.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, samples.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return samples[below] + (samples[above] - samples[below]) * fraction;
}

Summary Summarize(const std::vector<double>& samples) {
  Summary s;
  s.count = static_cast<int>(samples.size());
  if (samples.empty()) return s;
  s.median = Percentile(samples, 50);
  s.p10 = Percentile(samples, 10);
  s.p90 = Percentile(samples, 90);
  s.min = *std::min_element(samples.begin(), samples.end());
  s.max = *std::max_element(samples.begin(), samples.end());
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  return s;
}

bool IsPaperSetting(int depth, int layers) { return depth == 101 && layers == 12; }

ClaimCheck CheckClaim(double soho_seconds, double region_seconds, double min_ratio, bool paper_setting) {
  ClaimCheck check;
  check.ratio = soho_seconds > 0 ? region_seconds / soho_seconds : 0;
  check.min_ratio = min_ratio;
  check.applies = paper_setting;
  check.passed = paper_setting && check.ratio >= min_ratio;
  if (!paper_setting) {
    check.verdict = absl::StrFormat(
        "SOHO is %.2fx faster; the %.3gx claim is checked only at the paper's setting (--depth=101 --layers=12)",
        check.ratio, min_ratio);
  } else if (check.passed) {
    check.verdict = absl::StrFormat("PASS: SOHO is %.2fx faster than the region-based pipeline (claim: >= %.3gx)",
                                    check.ratio, min_ratio);
  } else {
    check.verdict = absl::StrFormat(
        "FAIL: SOHO is only %.2fx faster than the region-based pipeline (claim: >= %.3gx)", check.ratio, min_ratio);
  }
  return check;
}

int ExitCodeFor(const ClaimCheck& check) { return check.applies && !check.passed ? 1 : 0; }

}  // namespace soho::bench
