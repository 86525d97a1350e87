# Sourced by the benchmark scripts that train on this machine (data_wait.sh, dist_scaling.sh):
# renders a small synthetic world into a temporary directory, removed on exit, and sets
# $world_set to the --set overrides that train on it with a log line per iteration and no
# checkpoints or validation. Needs `bazel build //tools:prepare` (or SOHO_BIN=its directory)
# and the repository root as the working directory.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${SOHO_BIN:-bazel-bin/tools}/prepare" synthetic --out="$tmp/world" --num_images=64 --num_eval_images=2 --threads=2 >/dev/null 2>&1
world_set="runtime.log_interval=1,runtime.checkpoint_interval_epochs=0,runtime.eval_interval_epochs=0"
world_set+=",data.val=[],data.vocab_file=$tmp/world/vocab.txt"
world_set+=",data.train={ annotation: \"$tmp/world/pretrain_train.json\" image_root: \"$tmp/world/images\" }"
