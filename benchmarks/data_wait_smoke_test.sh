#!/usr/bin/env bash
# Smoke test of data_wait.sh at the tiny setting (a few iterations; not a timing): the table
# has the setting's row with its numbers, and bad arguments are refused before any work.
set -uo pipefail
export SOHO_BIN=tools
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$(benchmarks/data_wait.sh 4 1 tiny 2>&1) || fail "tiny run failed: $out"
[[ "$out" =~ tiny\ +2\ +[0-9.]+\ +[0-9]+\ +[0-9.]+% ]] || fail "no tiny row with 2 counted iterations: $out"
[[ "$out" == *"data wait ms/step"* ]] || fail "table header missing: $out"

out=$(benchmarks/data_wait.sh 4 1 huge 2>&1) && fail "setting 'huge' accepted"
[[ "$out" == *"unknown setting 'huge'"* ]] || fail "unclear setting error: $out"
out=$(benchmarks/data_wait.sh 2 2>&1) && fail "2 iterations accepted"
[[ "$out" == *"ITERATIONS must be at least 3"* ]] || fail "unclear iterations error: $out"

[[ $failures -eq 0 ]] && echo "PASS" || exit 1
