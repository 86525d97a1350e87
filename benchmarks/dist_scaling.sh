#!/usr/bin/env bash
# 2-process scaling of pre-training on this machine: the tiny config on the synthetic world,
# 1 rank vs 2 ranks (1 intra-op thread each, Gloo on 127.0.0.1, the same batch per rank),
# after `bazel build //tools:prepare //tools:pretrain`.
#
#   benchmarks/dist_scaling.sh [ITERATIONS=12] [extra --set overrides]
#
# Prints images/s (all ranks together), the scaling efficiency (2-rank images/s over twice
# the 1-rank images/s) and the step time each rank adds by synchronizing: the gradient
# all-reduce that the Reducer could not hide behind backward, plus the Visual Dictionary's
# and SyncBatchNorm's collectives and waiting for the slower rank. The first 2 iterations
# are warm-up and not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-12}
extra=${2:-}
source benchmarks/synthetic_world_lib.sh
set="$world_set,runtime.num_threads=1,data.num_workers=1,schedule.max_iters=$iters,schedule.epochs=100"
[[ -n "$extra" ]] && set+=",$extra"

for n in 1 2; do
  port=$(/usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  if (( n == 1 )); then
    bazel-bin/tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$tmp/r$n" --set="$set" \
      >"$tmp/r$n.log" 2>&1
  else
    SOHO_DIST_LAUNCHER=processes MASTER_PORT=$port SOHO_TRAIN_TOOL=bazel-bin/tools/pretrain \
      tools/dist_train.sh configs/tiny/pretrain.pbtxt "$n" --work_dir="$tmp/r$n" --set="$set" >"$tmp/r$n.log" 2>&1
  fi
done

grep -m1 -o "data parallel over.*" "$tmp/r2.log" || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
/usr/bin/python3 - "$tmp/r1/metrics.jsonl" "$tmp/r2/metrics.jsonl" <<'PY'
import json, sys
def stats(path):
    rows = [json.loads(l) for l in open(path) if '"mode":"train"' in l][2:]
    return (sum(r["images_per_second"] for r in rows) / len(rows),
            sum(r["step_time"] for r in rows) / len(rows), len(rows))
ips1, step1, k1 = stats(sys.argv[1])
ips2_rank, step2, k2 = stats(sys.argv[2])
ips2 = 2 * ips2_rank  # rank 0's images/s; every rank trains the same batch size
print(f"1 rank : {ips1:.2f} images/s, step {step1 * 1000:.0f} ms ({k1} iterations)")
print(f"2 ranks: {ips2:.2f} images/s, step {step2 * 1000:.0f} ms ({k2} iterations)")
print(f"scaling efficiency {ips2 / (2 * ips1) * 100:.0f}%, synchronization adds {(step2 - step1) * 1000:.0f} ms per step")
PY
