#!/usr/bin/env bash
# The main job on the embedded default, on a CPU: installs packages, builds every tool,
# renders the synthetic world into data/synthetic and resolves the tiny configs against it.
# (Pre-training and fine-tuning join this script when the trainer lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build //tools/... //benchmarks/...
bazel run //tools:prepare -- synthetic --out=data/synthetic
# Checks every file the tiny configs name exists now, then prints the resolved configs.
bazel run //tools:pretrain -- --config=configs/tiny/pretrain.pbtxt --dry_run
bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt --dry_run
