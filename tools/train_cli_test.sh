#!/usr/bin/env bash
# pretrain and finetune_vqa end to end on a small synthetic world with the tiny configs
# shrunk further: the files a run leaves, SIGTERM (checkpoint + exit 143) and --resume,
# the init report, and refusals of the wrong config kind and of FP16 on a CPU.
set -uo pipefail
source tools/cli_test_lib.sh

world="$tmp/world"
expect_ok "prepare" tools/prepare synthetic --out="$world" --num_images=16 --num_eval_images=4 --threads=1 >/dev/null

common="runtime.num_threads=1,runtime.log_interval=1,data.num_workers=1,data.batch_size=4"
common+=",data.image={ train_scales { long_edge: 64 short_edge: 64 } test_scale { long_edge: 64 short_edge: 64 } }"
pre_data="data.train={ annotation: \"$world/pretrain_train.json\" image_root: \"$world/images\" }"
pre_data+=",data.val={ annotation: \"$world/pretrain_val.json\" image_root: \"$world/images\" }"
pre_data+=",data.vocab_file=$world/vocab.txt"
vqa_data="data.train={ annotation: \"$world/vqa_train.json\" image_root: \"$world/images\" }"
vqa_data+=",data.val={ annotation: \"$world/vqa_val.json\" image_root: \"$world/images\" }"
vqa_data+=",data.test={ annotation: \"$world/vqa_test.json\" image_root: \"$world/images\" }"
vqa_data+=",data.vocab_file=$world/vocab.txt"

pre="$tmp/pre"
expect_ok "pretrain" tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$pre" \
  --set="$common,$pre_data,schedule.max_iters=3,schedule.epochs=1" >/dev/null
for f in latest.pt metrics.jsonl config.pbtxt; do [[ -e "$pre/$f" ]] || fail "pretrain left no $f"; done
ls "$pre"/tf_logs/events.out.tfevents.* >/dev/null 2>&1 || fail "pretrain wrote no TensorBoard events"
grep -q '"mode":"train"' "$pre/metrics.jsonl" || fail "metrics.jsonl has no train line"
grep -q '"mode":"val"' "$pre/metrics.jsonl" || fail "metrics.jsonl has no val line"

# SIGTERM: a checkpoint, exit 128+15, and --resume finishes the run.
term="$tmp/term"
tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$term" \
  --set="$common,$pre_data,schedule.epochs=50" >"$tmp/term.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q "iter 2/" "$tmp/term.log" && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
code=$?
[[ $code == 143 ]] || fail "SIGTERM: exit $code, expected 143 ($(tail -3 "$tmp/term.log"))"
[[ -e "$term/latest.pt" ]] || fail "SIGTERM: no checkpoint written"
grep -q "continue with --resume" "$tmp/term.log" || fail "SIGTERM: no resume hint"
out=$(tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$term" --resume \
  --set="$common,$pre_data,schedule.epochs=50,schedule.max_iters=8" 2>&1) || fail "resume failed: $out"
[[ "$out" == *"resumed from $term/latest.pt"* ]] || fail "resume did not say where from: $out"

# VQA from the pre-training checkpoint: the report names what loaded and what is fresh.
out=$(tools/finetune_vqa --config=configs/tiny/vqa.pbtxt --init="$pre/latest.pt" --work_dir="$tmp/vqa" \
  --set="$common,$vqa_data,schedule.max_iters=2,schedule.epochs=1,model.head.num_answers=999" 2>&1)
[[ "$out" == *"num_answers"* ]] || fail "a wrong num_answers was not named: $out"
answers=$(python3 -c "import json; print(len(json.load(open('$world/vqa_train.json'))['label2ans']))")
out=$(tools/finetune_vqa --config=configs/tiny/vqa.pbtxt --init="$pre/latest.pt" --work_dir="$tmp/vqa" \
  --set="$common,$vqa_data,schedule.max_iters=2,schedule.epochs=1,model.head.num_answers=$answers" 2>&1) ||
  fail "finetune_vqa failed: $out"
[[ "$out" == *"init_from $pre/latest.pt: loaded"* && "$out" == *"missing"*"head.vqa"* ]] ||
  fail "init report does not show the fresh VQA head: $out"
[[ "$out" == *"vqa_score"* ]] || fail "no VQA validation score: $out"

expect_error "VQA config in pretrain" "finetune_vqa" tools/pretrain --config=configs/tiny/vqa.pbtxt \
  --work_dir="$tmp/wrong" --set="$common,$vqa_data,model.head.num_answers=$answers,runtime.init_from=[]"
expect_error "FP16 on a CPU" "runtime.precision" tools/pretrain --config=configs/tiny/pretrain.pbtxt \
  --set="$pre_data,runtime.precision=FP16"
expect_error "missing resume checkpoint" "--resume: file not found" tools/pretrain --config=configs/tiny/pretrain.pbtxt \
  --work_dir="$tmp/none" --resume="$tmp/nope.pt" --set="$pre_data"

finish train_cli_test
