#!/usr/bin/env bash
# tools/dist_train.sh end to end on 127.0.0.1 with 2 ranks of the tiny pre-training config:
# through torchrun and through its own process launcher, rank 0 alone writing the run's
# files; a torchrun group that loses a rank restarts and ends as if nothing happened;
# launcher variables that are wrong are named.
set -uo pipefail
source tools/cli_test_lib.sh

world="$tmp/world"
expect_ok "prepare" tools/prepare synthetic --out="$world" --num_images=8 --num_eval_images=2 --threads=1 >/dev/null

set="runtime.num_threads=1,runtime.log_interval=1,runtime.dist_timeout_s=30,data.num_workers=1,data.batch_size=2,data.sentence_group=3"
set+=",data.image={ train_scales { long_edge: 64 short_edge: 64 } test_scale { long_edge: 64 short_edge: 64 } }"
set+=",data.train={ annotation: \"$world/pretrain_train.json\" image_root: \"$world/images\" }"
set+=",data.val=[],data.vocab_file=$world/vocab.txt,schedule.max_iters=3,schedule.epochs=1"

free_port() { /usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

for launcher in torchrun processes; do
  dir="$tmp/$launcher"
  out=$(SOHO_DIST_LAUNCHER=$launcher MASTER_PORT=$(free_port) SOHO_TRAIN_TOOL=tools/pretrain \
    tools/dist_train.sh configs/tiny/pretrain.pbtxt 2 --work_dir="$dir" --set="$set" 2>&1) ||
    fail "$launcher: dist_train.sh failed: $(tail -5 <<<"$out")"
  [[ "$out" == *"rank 1 of 2 connected"* ]] || fail "$launcher: rank 1 did not connect: $(tail -5 <<<"$out")"
  [[ "$out" == *"data parallel over 2 ranks"* ]] || fail "$launcher: no data parallelism: $(tail -5 <<<"$out")"
  [[ -e "$dir/latest.pt" && -e "$dir/metrics.jsonl" ]] || fail "$launcher: no checkpoint or metrics"
  lines=$(grep -c '"mode":"train"' "$dir/metrics.jsonl")
  [[ "$lines" == 3 ]] || fail "$launcher: $lines train lines in metrics.jsonl, expected 3 (rank 0 alone writes)"
done

# torchrun --max_restarts=1: rank 1 is killed once mid-run; the restarted group resumes from
# rank 0's latest checkpoint (each rank with its own random stream) and ends with the weights
# of an unkilled run.
long="$set,schedule.epochs=6,schedule.max_iters=30,runtime.checkpoint_interval_iters=5"
run_long() {  # work dir, TORCHRUN_MAX_RESTARTS; exec: in the background $! is torchrun itself
  exec env TORCHRUN_MAX_RESTARTS="$2" SOHO_DIST_LAUNCHER=torchrun MASTER_PORT="$(free_port)" \
    SOHO_TRAIN_TOOL=tools/pretrain tools/dist_train.sh configs/tiny/pretrain.pbtxt 2 --work_dir="$1" --set="$long"
}
(run_long "$tmp/straight" 0) >"$tmp/straight.log" 2>&1 || fail "unkilled run failed: $(tail -5 "$tmp/straight.log")"
(run_long "$tmp/restarted" 1) >"$tmp/restarted.log" 2>&1 &
launcher=$!
for _ in $(seq 1200); do [[ -e "$tmp/restarted/iter_5.pt" ]] && break; sleep 0.05; done
victim=""
for pid in $(pgrep -P "$launcher"); do
  tr '\0' '\n' <"/proc/$pid/environ" | grep -qx "RANK=1" && victim=$pid
done
if [[ -n "$victim" ]]; then kill -KILL "$victim"; else fail "restart: no rank 1 found to kill"; fi
wait "$launcher" || fail "restarted run failed: $(tail -5 "$tmp/restarted.log")"
grep -q "restart 1 of the group" "$tmp/restarted.log" || fail "the group was not restarted"
grep -q "resumed from $tmp/restarted/latest.pt" "$tmp/restarted.log" || fail "the restarted group did not resume"
/usr/bin/python3 - "$tmp/straight/latest.pt" "$tmp/restarted/latest.pt" <<'PY' || fail "restarted run's weights differ"
import sys, torch
a, b = (torch.load(p)["state_dict"] for p in sys.argv[1:])
assert a.keys() == b.keys()
diff = [k for k in a if not torch.equal(a[k], b[k])]
assert not diff, diff[:5]
PY

expect_error "RANK out of range" "RANK='2'" env RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=1 \
  tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$tmp/bad" --set="$set"
expect_error "no MASTER_PORT" "MASTER_PORT is not set" env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 \
  tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$tmp/bad" --set="$set"
expect_error "bad NPROC" "NPROC" tools/dist_train.sh configs/tiny/pretrain.pbtxt zero

finish dist_train_test
