#!/usr/bin/env bash
# Smoke test of every CLI: --help, --dry_run on the shipped configs, and clear errors.
set -uo pipefail

source tools/cli_test_lib.sh

for tool in tools/prepare tools/pretrain tools/finetune_vqa tools/eval benchmarks/speedtest; do
  out=$(expect_ok "$tool --help" "$tool" --help)
  [[ "$out" == *"--"* && "$out" == *"bazel run"* ]] || fail "$tool --help is not helpful: $out"
done

for config in configs/pretrain/soho_res18_pre.pbtxt configs/tiny/pretrain.pbtxt; do
  out=$(expect_ok "pretrain dry run $config" tools/pretrain --config="$config" --dry_run)
  [[ "$out" == *"backbone {"* && "$out" == *"max_decay: 0.99"* ]] || fail "pretrain --dry_run output: $out"
done
for config in configs/vqa/soho_res18_vqa.pbtxt configs/tiny/vqa.pbtxt; do
  touch "$tmp/x.pt"
  out=$(expect_ok "finetune dry run $config" tools/finetune_vqa --config="$config" --dry_run --init="$tmp/x.pt")
  [[ "$out" == *"init_from: \"$tmp/x.pt\""* ]] || fail "finetune_vqa --init not applied: $out"
  expect_ok "eval dry run $config" tools/eval --config="$config" --dry_run >/dev/null
done

out=$(expect_ok "override" tools/pretrain --config=configs/tiny/pretrain.pbtxt --dry_run --set=runtime.seed=7)
[[ "$out" == *"seed: 7"* ]] || fail "--set not applied: $out"

expect_error "missing --config" "--config is required" tools/pretrain
expect_error "bad override" "no field 'sed'" tools/pretrain --config=configs/tiny/pretrain.pbtxt --set=runtime.sed=1
expect_error "invalid value" "model.backbone.depth" tools/pretrain --config=configs/tiny/pretrain.pbtxt --set=model.backbone.depth=7
expect_error "missing file" "configs/nope.pbtxt" tools/pretrain --config=configs/nope.pbtxt
expect_error "prepare without mode" "expected a mode" tools/prepare

finish cli_smoke_test
