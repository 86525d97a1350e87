#pragma once
// Bounded-time fuzzing inside an ordinary test: random and mutated variants of seed inputs
// (bit flips, byte substitutions, insertions, deletions, duplicated ranges, truncations,
// splices of two seeds, pure random bytes), fed to a readers' entry point for a few seconds.
// A crash, a hang, an escaping exception or a failed expectation in `one_input` fails the
// test; the input that did it is written to $TEST_UNDECLARED_OUTPUTS_DIR (or TEST_TMPDIR)
// as fuzz_last_input.bin before each run, so it can be replayed.
//
// SOHO_FUZZ_SECONDS=N (e.g. bazel test --test_env=SOHO_FUZZ_SECONDS=600) runs longer.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace soho::testing {

// Runs `one_input` on inputs derived from `seeds` (and on each seed itself first) for
// `default_seconds` or $SOHO_FUZZ_SECONDS; deterministic for `rng_seed` up to the time
// limit. Returns the number of inputs tried.
int64_t FuzzFor(double default_seconds, const std::vector<std::string>& seeds, uint64_t rng_seed,
                const std::function<void(const std::string& input)>& one_input);

// The bytes of every regular file directly inside `dir` (sorted by name), for seeds.
std::vector<std::string> ReadFilesIn(const std::string& dir);

}  // namespace soho::testing
