#!/usr/bin/env bash
# Installs what the project needs (tools/setup.sh), runs every test, and ends with one line
# "N passed, N failed" counted from Bazel's per-target results. Exits non-zero on any failure.
#
#   bash tools/run_tests.sh [extra bazel test args]
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

args=(--test_summary=short)
# Quieter progress in CI logs.
[[ -n "${CI:-}" ]] && args+=(--curses=no --color=no --show_progress_rate_limit=30)

log=$(mktemp)
bazel test "${args[@]}" "$@" //... 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Bazel's summary: one line per test target, "//pkg:target  <STATUS> ..." (cached or not).
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY|FAILED TO BUILD)' "$log")
rm -f "$log"
# A build failure before any test ran still counts as a failure.
if (( status != 0 && failed == 0 )); then failed=1; fi
echo "${passed} passed, ${failed} failed"
(( status == 0 && failed == 0 ))
