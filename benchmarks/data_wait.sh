#!/usr/bin/env bash
# Is the data loader ever the bottleneck? Runs the real trainer (tools/pretrain: its
# DataLoader with the config's worker threads, decoding, resizing, tokenizing and masking)
# on a rendered synthetic world at train_benchmark's two settings, and reports how long each
# step waited for its batch beside how long the step took. After
# `bazel build //tools:prepare //tools:pretrain` (or with SOHO_BIN=the directory of both):
#
#   benchmarks/data_wait.sh [ITERATIONS=20] [THREADS=2] [SETTINGS="tiny res18"]
#
# Settings: tiny = configs/tiny/pretrain.pbtxt as it is (8 images x 6 captions at 160x224,
# 2 workers); res18 = configs/pretrain/soho_res18_pre.pbtxt with train_benchmark's 2 images a
# step (4 captions each, 600x1000, 4 workers), random weights, fp32 (the config's FP16 needs
# CUDA). The world's JPEGs (about 270x200) are resized to the setting's size; a 640x480 COCO
# JPEG decodes more slowly (data_benchmark: 2.7 ms per image for the whole image pipeline at
# 600x1000). The first 2 iterations (workers starting, first allocations) are not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-20}
threads=${2:-2}
settings=${3:-tiny res18}
bin=${SOHO_BIN:-bazel-bin/tools}
declare -A config=([tiny]=configs/tiny/pretrain.pbtxt [res18]=configs/pretrain/soho_res18_pre.pbtxt)
declare -A extra=([tiny]="" [res18]=",data.batch_size=2,runtime.precision=FP32")
[[ "$iters" =~ ^[0-9]+$ ]] && (( iters >= 3 )) ||
  { echo "data_wait: ITERATIONS must be at least 3 (the first 2 are not counted), got '$iters'" >&2; exit 1; }
for setting in $settings; do
  [[ -n "${config[$setting]:-}" ]] || { echo "data_wait: unknown setting '$setting' (tiny, res18)" >&2; exit 1; }
done

source benchmarks/synthetic_world_lib.sh
common="$world_set,runtime.device=cpu,runtime.num_threads=$threads,runtime.init_from=[]"
common+=",schedule.max_iters=$iters,schedule.epochs=100"
for setting in $settings; do
  "$bin/pretrain" --config="${config[$setting]}" --work_dir="$tmp/$setting" \
    --set="$common${extra[$setting]}" >"$tmp/$setting.log" 2>&1 ||
    { echo "data_wait: $setting run failed; its log ends:" >&2; tail -n 5 "$tmp/$setting.log" >&2; exit 1; }
done

echo "$(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $threads intra-op threads"
/usr/bin/python3 - "$tmp" $settings <<'PY'
import json, sys
print(f"{'setting':8} {'iterations':>10} {'data wait ms/step':>18} {'step ms':>9} {'wait / step':>12}")
for setting in sys.argv[2:]:
    rows = [json.loads(l) for l in open(f"{sys.argv[1]}/{setting}/metrics.jsonl") if '"mode":"train"' in l][2:]
    wait = sum(r["data_time"] for r in rows) / len(rows)
    step = sum(r["step_time"] for r in rows) / len(rows)
    print(f"{setting:8} {len(rows):>10} {wait * 1000:>18.2f} {step * 1000:>9.0f} {wait / step * 100:>11.2f}%")
PY
