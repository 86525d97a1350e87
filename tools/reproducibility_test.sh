#!/usr/bin/env bash
# The trainer's determinism guarantee, checked against recorded numbers: a short seeded
# pre-training and a VQA fine-tuning from it, on a small synthetic world, must log exactly the
# losses (at chosen iterations) and the final accuracies in
# testdata/reproducibility/expected.json. The numbers only hold for the same LibTorch and
# OpenBLAS builds and thread counts, so the kernels are pinned to their AVX2 paths (every
# x86-64 machine this project runs on has AVX2; Intel and AMD then compute the same bits).
#
# After an intended change of the numerics, record new values with
#   bazel run //tools:reproducibility_test -- --record
set -uo pipefail
source tools/cli_test_lib.sh

export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
expected=testdata/reproducibility/expected.json
record=0
[[ "${1:-}" == "--record" ]] && record=1

world="$tmp/world"
run() {  # name command...: runs the command with its output in $tmp/name.log; a failure shows the log's end
  local name=$1
  shift
  "$@" >"$tmp/$name.log" 2>&1 || fail "$name failed: $(grep -v '^[IW][0-9]' "$tmp/$name.log" | tail -5)"
}
run prepare tools/prepare synthetic --out="$world" --num_images=48 --num_eval_images=16 --seed=5 --threads=1
paths="data.vocab_file=$world/vocab.txt"
set_paths() {  # kind [val extras]: the world's train and val sources (and VQA's test)
  local kind=$1 s="$paths"
  s+=",data.train={ annotation: \"$world/${kind}_train.json\" image_root: \"$world/images\" }"
  s+=",data.val={ annotation: \"$world/${kind}_val.json\" image_root: \"$world/images\" ${2:-} }"
  [[ $kind == vqa ]] && s+=",data.test={ annotation: \"$world/vqa_test.json\" image_root: \"$world/images\" }"
  echo "$s"
}
official="official_questions: \"$world/raw/v2_OpenEnded_synthetic_val_questions.json\""
official+=" official_annotations: \"$world/raw/v2_synthetic_val_annotations.json\""
common="runtime.seed=7,runtime.num_threads=2,runtime.deterministic=true,runtime.log_interval=2,data.num_workers=2"
common+=",data.batch_size=4,data.eval_batch_size=8,schedule.warmup_iters=2"
common+=",data.image={ train_scales { long_edge: 96 short_edge: 64 } test_scale { long_edge: 96 short_edge: 64 } }"
common+=",model.backbone={ depth: 18 frozen_stages: 0 base_channels: 8 }"

run pretrain tools/pretrain --config=configs/tiny/pretrain.pbtxt --work_dir="$tmp/pre" \
  --set="$common,$(set_paths pretrain),schedule.epochs=1,schedule.max_iters=12"
num_answers=$(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))['label2ans']))" "$world/vqa_train.json")
run finetune_vqa tools/finetune_vqa --config=configs/tiny/vqa.pbtxt --work_dir="$tmp/vqa" \
  --init="$tmp/pre/latest.pt" \
  --set="$common,$(set_paths vqa "$official"),model.head.num_answers=$num_answers,schedule.epochs=1,schedule.max_iters=12"

# The recorded numbers: every logged training loss, and the validation metrics at the end.
[[ -s "$failure_log" ]] && finish reproducibility_test
python3 - "$tmp/pre/metrics.jsonl" "$tmp/vqa/metrics.jsonl" >"$tmp/actual.json" <<'EOF'
import json, sys
out = {}
for name, path in zip(("pretrain", "vqa"), sys.argv[1:]):
    for line in open(path):
        entry = json.loads(line)
        if entry["mode"] == "train":
            for key in ("loss", "loss_mlm", "loss_mvm", "loss_itm"):
                if key in entry:
                    out.setdefault(name, {})[f"{key}@{entry['iter']}"] = entry[key]
        elif entry["mode"] == "val":
            out.setdefault(name, {})["val"] = {k: v for k, v in entry.items() if k not in ("mode", "epoch", "iter")}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
EOF

if (( record )); then
  dest="${BUILD_WORKSPACE_DIRECTORY:-.}/$expected"
  cp "$tmp/actual.json" "$dest" && echo "recorded $dest"
  exit 0
fi

# Exact: no tolerance.
if ! out=$(python3 tools/quickstart_report.py compare "$expected" "$tmp/actual.json" 2>&1); then
  fail "the run does not reproduce $expected (same LibTorch, OpenBLAS and threads are required):
$out"
fi
# ... and the comparison itself catches a changed number.
python3 - "$expected" "$tmp/changed.json" <<'EOF'
import json, sys
record = json.load(open(sys.argv[1]))
record["vqa"]["val"]["vqa_score"] += 0.01
json.dump(record, open(sys.argv[2], "w"))
EOF
if out=$(python3 tools/quickstart_report.py compare "$tmp/changed.json" "$tmp/actual.json" 2>&1); then
  fail "a changed recorded number went unnoticed"
elif [[ "$out" != *"vqa.val.vqa_score"* ]]; then
  fail "the difference table does not name the changed number: $out"
fi
finish reproducibility_test
