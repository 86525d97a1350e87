#!/usr/bin/env bash
# End-to-end smoke test of the speedtest binary on tiny images: the report, the claim's
# exit code at the paper's setting, other settings never failing, bf16, and flag errors.
set -uo pipefail

speedtest=benchmarks/speedtest
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
tiny=(--image_height=64 --image_width=96 --proposals=12 --num_boxes=4 --text_length=4 --warmup=0
      --iterations=1 --batch=1 --threads=1 --extra_soho_depths=)

# The paper's setting (ResNet-101, 12 layers) against an unreachable bar: exit 1, report kept.
out=$("$speedtest" "${tiny[@]}" --depth=101 --layers=12 --min_ratio=1e9 --output="$tmp/paper.json" 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "paper setting below --min_ratio: exit $code, expected 1 ($out)"
[[ "$out" == *"FAIL: SOHO is only"* ]] || fail "no FAIL verdict: $out"
[[ "$out" == *"SOHO R101 12L"* && "$out" == *"region R101 12L 4 boxes"* ]] || fail "table rows missing: $out"
for key in '"speedup"' '"claim"' '"applies": true' '"passed": false' '"visual_tokens_per_image": 4.0' \
           '"seconds_per_image"' '"transformer_seconds_per_image"' '"intra_op_threads": 1'; do
  grep -q "$key" "$tmp/paper.json" || fail "report lacks $key"
done

# Another setting reports the ratio but does not judge the claim.
out=$("$speedtest" "${tiny[@]}" --depth=18 --layers=1 --min_ratio=1e9 --extra_soho_depths=34 2>&1) ||
  fail "non-paper setting must exit 0: $out"
[[ "$out" == *"checked only at the paper's setting"* && "$out" == *"SOHO R34 1L"* ]] || fail "output: $out"

# Both pipelines run under bf16 autocast.
out=$("$speedtest" "${tiny[@]}" --depth=18 --layers=1 --min_ratio=1e9 --precision=bf16 2>&1) ||
  fail "--precision=bf16 must run: $out"
[[ "$out" == *"precision: bf16"* && "$out" == *"region R18 1L 4 boxes"* ]] || fail "bf16 output: $out"
out=$("$speedtest" --precision=fp64 2>&1) && fail "--precision=fp64 accepted"
[[ "$out" == *"--precision must be fp32 or bf16"* ]] || fail "unclear --precision error: $out"

out=$("$speedtest" --depth=7 2>&1) && fail "--depth=7 accepted"
[[ "$out" == *"--depth must be 18, 34, 50 or 101"* ]] || fail "unclear --depth error: $out"
out=$("$speedtest" --extra_soho_depths=18,x 2>&1) && fail "--extra_soho_depths=18,x accepted"
[[ "$out" == *"'x' is not a ResNet depth"* ]] || fail "unclear --extra_soho_depths error: $out"

[[ $failures -eq 0 ]] && echo "PASS" || exit 1
