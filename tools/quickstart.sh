#!/usr/bin/env bash
# The main job on the embedded default, on a CPU, end to end:
#   1. installs the packages and builds the tools;
#   2. renders the synthetic world into data/synthetic;
#   3. pre-trains configs/tiny/pretrain.pbtxt (MLM + MVM + ITM on the world's captions);
#   4. fine-tunes configs/tiny/vqa.pbtxt three ways: from those pre-trained weights, from
#      scratch, and question-only (every image blanked: what the questions alone give away);
#   5. evaluates each with the official VQA metric, and the pre-trained model on its own tasks
#      and on zero-shot image-text retrieval;
#   6. prints the comparison and writes WORK_DIR/report.json (tools/quickstart_report.py).
#
#   bash tools/quickstart.sh                  # reuses the world and finished or interrupted runs
#   bash tools/quickstart.sh --fresh          # starts everything over (the world included)
#   bash tools/quickstart.sh --fresh_runs     # reruns every training and evaluation, same world
#   bash tools/quickstart.sh --seed=7         # another training seed, in work_dirs/quickstart_seed7
#   bash tools/quickstart.sh --work_dir=DIR   # where the runs and report.json go
#   bash tools/quickstart.sh --skip_setup     # packages already installed (CI, tools/reproduce.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

fresh=0 fresh_runs=0 setup=1 seed=42 work_dir=""
for arg in "$@"; do
  case "$arg" in
    --fresh) fresh=1 ;;
    --fresh_runs) fresh_runs=1 ;;
    --skip_setup) setup=0 ;;
    --seed=*) seed="${arg#--seed=}" ;;
    --work_dir=*) work_dir="${arg#--work_dir=}" ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "quickstart: unknown argument '$arg' (see --help)" >&2; exit 1 ;;
  esac
done
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "quickstart: --seed must be a non-negative integer, got '$seed'" >&2; exit 1; }
[[ -n "$work_dir" ]] || work_dir=$([[ "$seed" == 42 ]] && echo work_dirs/quickstart || echo "work_dirs/quickstart_seed$seed")

(( setup )) && bash tools/setup.sh
bazel build //tools:prepare //tools:pretrain //tools:finetune_vqa //tools:eval
bin=bazel-bin/tools

if (( fresh )); then rm -rf data/synthetic; fi
if (( fresh || fresh_runs )); then rm -rf "$work_dir"; fi
mkdir -p "$work_dir"
echo "$seed" > "$work_dir/seed"

# Each step's wall seconds, summed over reruns (an interrupted step that is resumed adds its
# second part; a finished one that is only checked adds a second or two). The two tracks
# below write it at the same time, so each update holds a lock.
seconds_file="$work_dir/seconds.json"
[[ -f "$seconds_file" ]] || echo '{}' > "$seconds_file"
add_seconds() {  # add_seconds NAME SECONDS
  flock "$seconds_file.lock" python3 - "$seconds_file" "$1" "$2" <<'EOF'
import json, sys
path, name, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path) as f: times = json.load(f)
times[name] = times.get(name, 0) + seconds
with open(path, "w") as f: json.dump(times, f)
EOF
}
timed() {  # timed NAME COMMAND...: runs COMMAND, records its seconds under NAME
  local name="$1" start=$SECONDS
  shift
  echo
  echo "==> quickstart: $name"
  "$@"
  add_seconds "$name" $((SECONDS - start))
}

if [[ ! -f data/synthetic/vocab.txt ]]; then
  timed prepare "$bin/prepare" synthetic --out=data/synthetic
fi

# Every run uses one thread: the two tracks below run side by side, one per core, and a
# run's numbers depend on its thread count, not on what runs beside it.
common="runtime.seed=$seed,runtime.num_threads=1"
question_only="data.image.blank=true"  # what the question-only baseline changes, in training and evaluation
pretrained="$work_dir/pretrain/latest.pt"

finetune() {  # finetune VARIANT OVERRIDES [FLAGS...]
  local variant=$1 overrides=$2
  shift 2
  # --resume=auto continues an interrupted run from its latest checkpoint, and does nothing
  # for a finished one.
  timed "finetune_$variant" "$bin/finetune_vqa" --config=configs/tiny/vqa.pbtxt --resume=auto \
    --work_dir="$work_dir/vqa_$variant" --set="$common,runtime.init_from=[]$overrides" "$@"
}
evaluate_vqa() {  # evaluate_vqa VARIANT [OVERRIDES]
  "$bin/eval" --config=configs/tiny/vqa.pbtxt --checkpoint="$work_dir/vqa_$1/latest.pt" \
    --set="$common,runtime.work_dir=$work_dir/vqa_$1${2:-}"
}

# Track 1: pre-train, fine-tune from it, evaluate both.
pretrained_track() {
  timed pretrain "$bin/pretrain" --config=configs/tiny/pretrain.pbtxt --resume=auto \
    --work_dir="$work_dir/pretrain" --set="$common"
  finetune pretrained "" --init="$pretrained"
  timed eval evaluate_vqa pretrained
  timed eval "$bin/eval" --config=configs/tiny/pretrain.pbtxt --checkpoint="$pretrained" \
    --set="$common,runtime.work_dir=$work_dir/pretrain"
}
# Track 2: the baselines, which need no pre-training.
baseline_track() {
  finetune scratch ""
  finetune question_only ",$question_only"
  timed eval evaluate_vqa scratch
  timed eval evaluate_vqa question_only ",$question_only"
}

baseline_log="$work_dir/baselines.log"
echo
echo "==> quickstart: scratch and question-only fine-tuning run beside pre-training (log: $baseline_log)"
track_start=$SECONDS
baseline_track > "$baseline_log" 2>&1 &
baseline_pid=$!
# A failed or interrupted quick start stops the other track too.
trap 'kill "$baseline_pid" 2>/dev/null || true' EXIT
pretrained_track
if ! wait "$baseline_pid"; then
  echo "quickstart: the scratch / question-only track failed; the end of $baseline_log:" >&2
  tail -n 20 "$baseline_log" >&2
  exit 1
fi
trap - EXIT
add_seconds training_wall $((SECONDS - track_start))

echo
python3 tools/quickstart_report.py build "$work_dir"
echo "  logs: $work_dir/*/metrics.jsonl (TensorBoard: tensorboard --logdir $work_dir)"
