#!/usr/bin/env bash
# The main job on the embedded default, on a CPU: installs packages, builds every tool,
# renders the synthetic world into data/synthetic, pre-trains the tiny config and fine-tunes
# VQA from it (evaluating the VQA score on the val split every epoch).
#
#   bash tools/quickstart.sh            # reuses the world and finished or interrupted runs
#   bash tools/quickstart.sh --fresh    # starts everything over
set -euo pipefail
cd "$(dirname "$0")/.."

fresh=0
[[ "${1:-}" == "--fresh" ]] && fresh=1

bash tools/setup.sh
bazel build //tools/... //benchmarks/...
bin=bazel-bin/tools

if (( fresh )); then rm -rf data/synthetic work_dirs/tiny_pretrain work_dirs/tiny_vqa; fi
if [[ ! -f data/synthetic/vocab.txt ]]; then
  "$bin/prepare" synthetic --out=data/synthetic
fi

# --resume=auto continues an interrupted run from its latest checkpoint, and does nothing for
# a finished one.
SECONDS=0
"$bin/pretrain" --config=configs/tiny/pretrain.pbtxt --resume=auto
pretrain_seconds=$SECONDS
SECONDS=0
"$bin/finetune_vqa" --config=configs/tiny/vqa.pbtxt --init=work_dirs/tiny_pretrain/latest.pt --resume=auto
finetune_seconds=$SECONDS

echo
echo "quickstart: pre-training ${pretrain_seconds}s, VQA fine-tuning ${finetune_seconds}s"
echo "  pre-training log:   work_dirs/tiny_pretrain/metrics.jsonl (TensorBoard: work_dirs/tiny_pretrain/tf_logs)"
echo "  VQA log:            work_dirs/tiny_vqa/metrics.jsonl"
echo "  last VQA val score: $(grep '"mode":"val"' work_dirs/tiny_vqa/metrics.jsonl | tail -1)"
