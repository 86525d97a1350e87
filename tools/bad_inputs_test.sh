#!/usr/bin/env bash
# Every CLI over testdata/bad_inputs/ and the flags and configs a new user gets wrong. Each
# case must exit 1 (not a signal, not 0) with a message naming the file and the field or
# flag, leave no output behind, and print no stack trace; counted skips must say what was
# skipped.
set -uo pipefail

source tools/cli_test_lib.sh
bad=testdata/bad_inputs

# description, needles (|-separated, all must appear), command... ; the command must exit 1
# within 60 s without a stack trace.
refused() {
  local what=$1 needles=$2; shift 2
  local out code
  out=$(timeout 60 "$@" 2>&1)
  code=$?
  if (( code != 1 )); then fail "$what: exit $code, expected 1 ($out)"; return; fi
  [[ "$out" == *"@ 0x"* || "$out" == *"terminate called"* || "$out" == *"Check failed"* ]] &&
    fail "$what: stack trace or check failure: $out"
  local needle
  IFS='|' read -ra list <<< "$needles"
  for needle in "${list[@]}"; do
    [[ "$out" == *"$needle"* ]] || fail "$what: message lacks '$needle': $out"
  done
}

# Nothing half-written: neither the output nor a temporary file next to it.
left_nothing() {  # description, output path
  compgen -G "$2*" >/dev/null && fail "$1: left $(compgen -G "$2*" | tr '\n' ' ')"
}

tiny=configs/tiny/pretrain.pbtxt
vqa=configs/tiny/vqa.pbtxt

# --- config files -------------------------------------------------------------------------
for tool in tools/pretrain tools/finetune_vqa tools/eval; do
  refused "$tool empty config" "$bad/configs/empty.pbtxt|sets no fields" $tool --config=$bad/configs/empty.pbtxt --dry_run
  refused "$tool missing brace" "missing_brace.pbtxt:2:7: this '{' is never closed" \
    $tool --config=$bad/configs/missing_brace.pbtxt --dry_run
  refused "$tool directory config" "$bad/configs: is a directory" $tool --config=$bad/configs --dry_run
  refused "$tool /dev/zero config" "/dev/zero: larger than 1048576 bytes" $tool --config=/dev/zero --dry_run
done
refused "pretrain given a VQA config" "model.head.kind is VQA|finetune_vqa" tools/pretrain --config=$vqa --dry_run
refused "finetune_vqa given a pre-training config" "model.head.kind is PRETRAIN" \
  tools/finetune_vqa --config=$tiny --dry_run
refused "--set index out of range" "--set data.train[3].annotation|address one as train[0]" \
  tools/pretrain --config=$tiny --dry_run --set=data.train[3].annotation=x.json
out=$(expect_ok "--set indexed element" tools/pretrain --config=$tiny --dry_run --set=data.train[0].annotation=x.json)
[[ "$out" == *'annotation: "x.json"'* ]] || fail "--set data.train[0].annotation not applied: $out"

# --- files named by flags: checked even with --dry_run ------------------------------------
refused "missing --init" "--init: file not found: $tmp/nope.pt" \
  tools/finetune_vqa --config=$vqa --dry_run --init="$tmp/nope.pt"
refused "missing --resume" "--resume: file not found: $tmp/nope.pt" \
  tools/pretrain --config=$tiny --dry_run --resume="$tmp/nope.pt"
refused "missing --checkpoint" "--checkpoint: file not found: $tmp/nope.pt" \
  tools/eval --config=$vqa --dry_run --checkpoint="$tmp/nope.pt"

# --- numeric flags, each named -----------------------------------------------------------
refused "speedtest tpu" "--device: 'tpu' is not a device" benchmarks/speedtest --device=tpu
refused "speedtest cuda on a CPU build" "--device is 'cuda' but this build has no CUDA" benchmarks/speedtest --device=cuda
refused "speedtest text length" "--text_length must be in [2, 512] (got 100000)" benchmarks/speedtest --text_length=100000
refused "speedtest image size" "--image_height must be in [64, 4096] (got 20000)" \
  benchmarks/speedtest --image_height=20000 --image_width=20000
refused "speedtest threads" "--threads must be in [0, 1024] (got -2)" benchmarks/speedtest --threads=-2
refused "synthetic size" "--num_images must be in [1, 10000000] (got 2000000000)" \
  tools/prepare synthetic --num_images=2000000000 --out="$tmp/syn"
left_nothing "synthetic size" "$tmp/syn"
refused "negative threads" "--threads must be in [0, 1024] (got -3)" tools/prepare synthetic --threads=-3 --out="$tmp/syn"
refused "negative eval images" "--num_eval_images must be in [0, 10000000] (got -5)" \
  tools/prepare synthetic --num_eval_images=-5 --out="$tmp/syn"
refused "zero vocab size" "--vocab_size must be in [64, 1048576] (got 0)" \
  tools/prepare vocab --vocab_size=0 --corpus=testdata/text/tiny_vocab.txt --out="$tmp/vocab.txt"
refused "eval top_k" "--top_k must be in [1, 100000] (got -1)" tools/eval --config=$vqa --top_k=-1

# --- converters: nothing usable, wrong kinds of file ----------------------------------------
refused "coco all malformed" "$bad/json/coco_all_malformed.json: no usable captions|malformed image entry x2|nothing written" \
  tools/prepare coco --captions=$bad/json/coco_all_malformed.json --out="$tmp/coco.json"
left_nothing "coco all malformed" "$tmp/coco.json"
refused "coco empty file" "$bad/json/empty.json:1:1|malformed JSON" \
  tools/prepare coco --captions=$bad/json/empty.json --out="$tmp/coco.json"
refused "coco directory" "$bad/json: is a directory" tools/prepare coco --captions=$bad/json --out="$tmp/coco.json"
left_nothing "coco empty or directory" "$tmp/coco.json"
refused "vocab from random bytes" "$bad/json/random_bytes.txt:1: not UTF-8 text" \
  tools/prepare vocab --corpus=$bad/json/random_bytes.txt --out="$tmp/vocab.txt"
left_nothing "vocab from random bytes" "$tmp/vocab.txt"
refused "empty answer vocabulary" "--min_answer_count=1000|answer vocabulary would be empty" \
  tools/prepare vqa --questions=$bad/json/vqa_duplicate_questions.json \
  --annotations=$bad/json/vqa_duplicate_annotations.json --min_answer_count=1000 --out="$tmp/vqa.json"
left_nothing "empty answer vocabulary" "$tmp/vqa.json"
refused "skip limit" "skipped 3 of 6 items, more than --max_skipped_fraction=0.4" \
  tools/prepare coco --captions=$bad/json/coco_absurd.json --max_skipped_fraction=0.4 --out="$tmp/coco.json"
left_nothing "skip limit" "$tmp/coco.json"

# --- converters: duplicates and absurd values are counted skips -------------------------------
out=$(expect_ok "coco absurd values" tools/prepare coco --captions=$bad/json/coco_absurd.json --out="$tmp/coco.json")
for needle in "coco: 3 images, 3 captions; skipped 3" "caption longer than 4096 bytes x1" "duplicate image id x1" \
              "image size outside [1, 65536] x1"; do
  [[ "$out" == *"$needle"* ]] || fail "coco summary lacks '$needle': $out"
done
out=$(expect_ok "vqa duplicates" tools/prepare vqa --questions=$bad/json/vqa_duplicate_questions.json \
  --annotations=$bad/json/vqa_duplicate_annotations.json --min_answer_count=1 --out="$tmp/vqa.json")
for needle in "vqa: 2 images, 3 questions" "duplicate question id x1" "duplicate annotation of a question x1"; do
  [[ "$out" == *"$needle"* ]] || fail "vqa summary lacks '$needle': $out"
done

# --- checkpoints ------------------------------------------------------------------------------
# A VQA config over the converted file above (4 answers) and the tiny vocabulary, so that eval
# gets as far as reading the checkpoint.
refused "random bytes as a checkpoint" "$bad/torch/random_bytes.pt" \
  tools/eval --config=$vqa --checkpoint=$bad/torch/random_bytes.pt --image=$bad/images/empty.jpg --question=what \
  --set="data.val[0].annotation=$tmp/vqa.json,model.head.num_answers=4,data.vocab_file=testdata/text/tiny_vocab.txt"

finish bad_inputs_test
