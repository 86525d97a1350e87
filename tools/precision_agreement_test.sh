#!/usr/bin/env bash
# bf16 inference answers like fp32: a tiny VQA model is trained for a few hundred steps on a
# small synthetic world (long enough that its answers depend on the question and the image,
# not one prior answer), then `eval --precision=fp32` and `--precision=bf16` answer the val
# split. The arg-max answers must agree on at least $min_agreement percent of the questions,
# and the two official accuracies may differ by at most $max_accuracy_gap points.
set -uo pipefail
source tools/cli_test_lib.sh

# Stated in README.md ("Precision"); measured on this test: see the log line it prints.
min_agreement=95
max_accuracy_gap=2

world="$tmp/world"
run() {  # name command...: the command's output in $tmp/name.log; a failure shows the log's end
  local name=$1
  shift
  "$@" >"$tmp/$name.log" 2>&1 || { fail "$name failed: $(grep -v '^[IW][0-9]' "$tmp/$name.log" | tail -5)"; finish precision_agreement_test; }
}
run prepare tools/prepare synthetic --out="$world" --num_images=300 --num_eval_images=60 --seed=11 --max_objects=2
num_answers=$(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))['label2ans']))" "$world/vqa_train.json")
sources="data.vocab_file=$world/vocab.txt"
sources+=",data.train={ annotation: \"$world/vqa_train.json\" image_root: \"$world/images\" }"
sources+=",data.val={ annotation: \"$world/vqa_val.json\" image_root: \"$world/images\""
sources+=" official_questions: \"$world/raw/v2_OpenEnded_synthetic_val_questions.json\""
sources+=" official_annotations: \"$world/raw/v2_synthetic_val_annotations.json\" }"
sources+=",data.test={ annotation: \"$world/vqa_test.json\" image_root: \"$world/images\" }"
small="model.head.num_answers=$num_answers,model.backbone={ depth: 18 frozen_stages: 0 base_channels: 8 zero_init_residual: false }"
small+=",data.image={ train_scales { long_edge: 128 short_edge: 96 } test_scale { long_edge: 128 short_edge: 96 } }"
run finetune_vqa tools/finetune_vqa --config=configs/tiny/vqa.pbtxt --work_dir="$tmp/vqa" \
  --set="$sources,$small,runtime.init_from=[],runtime.num_threads=2,runtime.log_interval=100,schedule.epochs=20,schedule.max_iters=300,schedule.warmup_iters=20,data.batch_size=16"

for precision in fp32 bf16; do
  run "eval_$precision" tools/eval --config=configs/tiny/vqa.pbtxt --set="$sources,$small" \
    --checkpoint="$tmp/vqa/latest.pt" --split=val --precision=$precision --output="$tmp/$precision"
done

python3 - "$tmp/fp32" "$tmp/bf16" "$min_agreement" "$max_accuracy_gap" <<'EOF' || fail "bf16 answers differ from fp32 too often"
import json, sys
fp32_dir, bf16_dir, min_agreement, max_gap = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
def answers(d):
    return {r["question_id"]: r["answer"] for r in json.load(open(f"{d}/vqa_results.json"))}
def accuracy(d):
    return json.load(open(f"{d}/vqa_accuracy.json"))["overall"]
a, b = answers(fp32_dir), answers(bf16_dir)
assert a.keys() == b.keys(), "the two runs answered different questions"
agreement = 100.0 * sum(a[q] == b[q] for q in a) / len(a)
distinct = len(set(a.values()))
gap = abs(accuracy(fp32_dir) - accuracy(bf16_dir))
print(f"{len(a)} questions: bf16 agrees with fp32 on {agreement:.1f}% (>= {min_agreement}), {distinct} distinct "
      f"answers, official accuracy fp32 {accuracy(fp32_dir)} bf16 {accuracy(bf16_dir)} (gap <= {max_gap})")
# A model that always gives one answer would agree trivially: the check needs a trained one.
ok = distinct >= 5 and agreement >= min_agreement and gap <= max_gap
sys.exit(0 if ok else 1)
EOF
finish precision_agreement_test
