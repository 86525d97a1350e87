#!/usr/bin/env bash
# Smoke test of model_benchmark at the tiny setting: one round of every case on both sides,
# the ratio table with every row, the environment lines, and flag errors.
set -uo pipefail

bench=benchmarks/model_benchmark
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$bench" --setting=tiny --vqa_batch=2 --warmup=0 --iterations=1 --min_seconds=0 --threads=1 2>&1) ||
  fail "tiny run failed: $out"
for row in "VQA inference, batch 1, fp32" "VQA inference, batch 1, bf16" "VQA inference, batch 2, fp32" \
           "VQA inference, batch 2, bf16" "pre-training step, fp32" "pre-training step, bf16"; do
  [[ "$out" == *"$row"* ]] || fail "row '$row' missing: $out"
done
[[ "$out" == *"CPU: "* && "$out" == *"ours: LibTorch"* && "$out" == *"eager: PyTorch"* ]] ||
  fail "environment lines missing: $out"
[[ "$out" == *"eager/ours"* && "$out" == *"faults ours"* ]] || fail "table header missing: $out"

out=$("$bench" --setting=huge 2>&1) && fail "--setting=huge accepted"
[[ "$out" == *"--setting must be res18 or tiny"* ]] || fail "unclear --setting error: $out"

[[ $failures -eq 0 ]] && echo "PASS" || exit 1
