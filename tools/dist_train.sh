#!/usr/bin/env bash
# Distributed training on one machine, as the reference's tools/dist_train.sh:
#
#   tools/dist_train.sh CONFIG NPROC [flags for pretrain / finetune_vqa ...]
#
# Runs NPROC ranks of `pretrain` (or `finetune_vqa` when CONFIG's head is VQA) through
# torchrun (/usr/bin/python3 -m torch.distributed.run, which restarts the group on a failure
# with TORCHRUN_MAX_RESTARTS > 0) when Python's torch is installed; otherwise it starts the
# ranks itself with the same variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
# MASTER_ADDR, MASTER_PORT) and, when one rank fails, stops the others and exits with its code.
#
# Environment: MASTER_ADDR (127.0.0.1), MASTER_PORT (29500), TORCHRUN_MAX_RESTARTS (0),
# SOHO_TRAIN_TOOL (path of the binary; default from CONFIG next to this script or in
# bazel-bin/tools), SOHO_DIST_LAUNCHER (torchrun | processes; default torchrun when available).
set -euo pipefail

if (( $# < 2 )); then
  echo "usage: $0 CONFIG NPROC [flags...]" >&2
  exit 2
fi
config=$1
nproc=$2
shift 2
[[ -f "$config" ]] || { echo "$0: CONFIG $config does not exist" >&2; exit 2; }
[[ "$nproc" =~ ^[1-9][0-9]*$ ]] || { echo "$0: NPROC must be a positive integer (got '$nproc')" >&2; exit 2; }

tool=${SOHO_TRAIN_TOOL:-}
if [[ -z "$tool" ]]; then
  name=pretrain
  grep -Eq 'kind:[[:space:]]*VQA\b' "$config" && name=finetune_vqa
  here=$(cd "$(dirname "$0")" && pwd)
  for candidate in "$here/$name" "$here/../bazel-bin/tools/$name"; do
    [[ -x "$candidate" ]] && tool=$candidate && break
  done
  [[ -n "$tool" ]] || { echo "$0: no $name binary (bazel build //tools:$name, or set SOHO_TRAIN_TOOL)" >&2; exit 2; }
fi

addr=${MASTER_ADDR:-127.0.0.1}
port=${MASTER_PORT:-29500}
launcher=${SOHO_DIST_LAUNCHER:-}
if [[ -z "$launcher" ]]; then
  launcher=processes
  /usr/bin/python3 -c "import torch.distributed.run" >/dev/null 2>&1 && launcher=torchrun
fi

if [[ "$launcher" == torchrun ]]; then
  # --redirects/--tee: Debian's torch 1.13 under Python 3.11 crashes on their default (0,
  # "Std.NONE" is no longer an enum member there); 2 tees each rank's stderr (its log) to
  # the console, prefixed with the rank, and keeps a copy in torchrun's log directory.
  exec /usr/bin/python3 -m torch.distributed.run --nnodes=1 --nproc_per_node="$nproc" --redirects=2 --tee=2 \
    --max_restarts="${TORCHRUN_MAX_RESTARTS:-0}" --master_addr="$addr" --master_port="$port" \
    --no_python "$tool" --config="$config" "$@"
fi

pids=()
for (( rank = 0; rank < nproc; rank++ )); do
  RANK=$rank WORLD_SIZE=$nproc LOCAL_RANK=$rank LOCAL_WORLD_SIZE=$nproc MASTER_ADDR=$addr MASTER_PORT=$port \
    "$tool" --config="$config" "$@" &
  pids+=($!)
done
# The first rank to fail decides the exit code; the others are stopped (they would also
# exit on their own, naming the lost rank, within runtime.dist_timeout_s).
code=0
remaining=$nproc
while (( remaining > 0 )); do
  set +e
  wait -n
  status=$?
  set -e
  remaining=$((remaining - 1))
  if (( status != 0 && code == 0 )); then
    code=$status
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  fi
done
exit "$code"
