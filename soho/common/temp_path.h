#pragma once
// Test helper: fresh temporary file paths under $TEST_TMPDIR (/tmp outside Bazel), so tests
// that write files never collide, within one test or across tests run in parallel.
#include <string>

namespace soho::testing {

// A path that did not exist when called, ending in `suffix` (e.g. ".json", "_vocab.txt").
// Nothing is created.
std::string TempPath(const std::string& suffix);

}  // namespace soho::testing
