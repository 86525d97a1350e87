#!/usr/bin/env bash
# tools/dist_train.sh end to end on 127.0.0.1 with 2 ranks of the tiny pre-training config:
# through torchrun and through its own process launcher, rank 0 alone writing the run's
# files; launcher variables that are wrong are named.
set -uo pipefail
source tools/cli_test_lib.sh

world="$tmp/world"
expect_ok "prepare" tools/prepare synthetic --out="$world" --num_images=8 --num_eval_images=2 --threads=1 >/dev/null

set="runtime.num_threads=1,runtime.log_interval=1,runtime.dist_timeout_s=30,data.num_workers=1,data.batch_size=2"
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

expect_error "RANK out of range" "RANK='2'" env RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=1 \
  tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$tmp/bad" --set="$set"
expect_error "no MASTER_PORT" "MASTER_PORT is not set" env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 \
  tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$tmp/bad" --set="$set"
expect_error "bad NPROC" "NPROC" tools/dist_train.sh configs/tiny/pretrain.pbtxt zero

finish dist_train_test
