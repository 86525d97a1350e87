#!/usr/bin/env bash
# The main job on the embedded default, end to end on a CPU. Until training lands this
# builds every tool and resolves the tiny configs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build //tools/... //benchmarks/...
bazel run //tools:pretrain -- --config=configs/tiny/pretrain.pbtxt --dry_run
bazel run //tools:finetune_vqa -- --config=configs/tiny/vqa.pbtxt --dry_run
