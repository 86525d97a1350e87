#!/usr/bin/env bash
# End to end: every mode of `eval` on the hand-made official files and on a tiny synthetic
# world with random tiny checkpoints, and clear errors for bad inputs.
set -uo pipefail

source tools/cli_test_lib.sh
eval_bin=tools/eval
world=$tmp/world
soho/eval/make_test_world "$world" >/dev/null 2>"$tmp/make.log" || { cat "$tmp/make.log"; fail "make_test_world"; finish eval_test; }

json() {  # file, python expression on `d` (the parsed file); prints the result
  /usr/bin/python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"
}

# --- scoring official files (testdata/vqa_eval: accuracies worked out in soho/eval/vqa_accuracy_test.cc)
q=testdata/vqa_eval/questions.json a=testdata/vqa_eval/annotations.json r=testdata/vqa_eval/results.json
out=$(expect_ok "score files" $eval_bin --questions=$q --annotations=$a --results=$r --output="$tmp/score")
[[ "$out" == *"overall"*"69.26"* && "$out" == *"what animal is"*"83.33"* ]] || fail "score table: $out"
[[ $(json "$tmp/score/vqa_accuracy.json" 'd["overall"], d["perAnswerType"]["other"], d["perQuestionType"]["how many"]') \
   == "69.26 72.67 80.0" ]] || fail "vqa_accuracy.json: $(cat "$tmp/score/vqa_accuracy.json")"
expect_ok "score files, 2021 rules" $eval_bin --questions=$q --annotations=$a --results=$r --output="$tmp/score21" \
  --vqa_eval_rules=2021 >/dev/null
[[ $(json "$tmp/score21/vqa_accuracy.json" 'd["overall"]') == "67.04" ]] || fail "2021 rules overall"

echo '[{"question_id": 1, "answer": "yes"}, {"question_id": 99, "answer": "no"}]' > "$tmp/unknown.json"
expect_error "result of an unknown question" "unknown.json: question_id 99 is not in $a" \
  $eval_bin --questions=$q --annotations=$a --results="$tmp/unknown.json"
echo '[{"question_id": 1, "answer": "yes"}]' > "$tmp/missing.json"
expect_error "missing results" "missing.json: no result for question_id 2" \
  $eval_bin --questions=$q --annotations=$a --results="$tmp/missing.json"
echo '[{"question_id": 1, "answer": "yes"}, {"question_id": 1, "answer": "no"}]' > "$tmp/dup.json"
expect_error "duplicate results" "dup.json: question_id 1 appears twice (results[0] and [1])" \
  $eval_bin --questions=$q --annotations=$a --results="$tmp/dup.json"
echo '[{"question_id": 1, "answer": "yes"},' > "$tmp/broken.json"
expect_error "malformed results" "broken.json:2:1" $eval_bin --questions=$q --annotations=$a --results="$tmp/broken.json"
expect_error "no such results" "$tmp/nope.json" $eval_bin --questions=$q --annotations=$a --results="$tmp/nope.json"
expect_error "results without annotations" "needs --questions, --annotations and --results" $eval_bin --results=$r
expect_error "bad rules" "expected 2017" $eval_bin --questions=$q --annotations=$a --results=$r --vqa_eval_rules=2019
expect_error "nothing to do" "give --config and --checkpoint" $eval_bin
expect_error "stray argument" "unexpected argument 'val'" $eval_bin val

# --- a VQA checkpoint over the val split: submission, top-k, soft score, official accuracy
vqa="--config=$world/vqa.pbtxt --checkpoint=$world/vqa.pth"
out=$(expect_ok "vqa val" $eval_bin $vqa --split=val --output="$tmp/val" --top_k=3)
[[ "$out" == *"VQA soft score"* && "$out" == *"Official VQA accuracy (vqaEval.py 2017 rules"* ]] || fail "vqa val: $out"
[[ $(json "$tmp/val/vqa_results.json" 'len(d), sorted(d[0].keys()), type(d[0]["question_id"]).__name__') \
   == "9 ['answer', 'question_id'] int" ]] || fail "vqa_results.json: $(head -c 300 "$tmp/val/vqa_results.json")"
[[ $(json "$tmp/val/vqa_results_topk.json" 'len(d[0]["answers"])') == 3 ]] || fail "top-k file"
[[ $(json "$tmp/val/eval_report.json" 'sorted(d["official"].keys())') == "['overall', 'perAnswerType', 'perQuestionType']" ]] \
  || fail "eval_report.json: $(cat "$tmp/val/eval_report.json")"
# The run's results score the same from the files alone.
expect_ok "vqa val results rescored" $eval_bin --questions="$world/raw/v2_OpenEnded_synthetic_val_questions.json" \
  --annotations="$world/raw/v2_synthetic_val_annotations.json" --results="$tmp/val/vqa_results.json" \
  --output="$tmp/rescored" >/dev/null
[[ "$(json "$tmp/rescored/vqa_accuracy.json" 'd')" == "$(json "$tmp/val/vqa_accuracy.json" 'd')" ]] || fail "rescored differs"

expect_ok "vqa test" $eval_bin $vqa --split=test --output="$tmp/test" >/dev/null
[[ -f "$tmp/test/vqa_results.json" && ! -e "$tmp/test/vqa_accuracy.json" ]] || fail "test split outputs"
[[ $(json "$tmp/test/vqa_results.json" 'len(d)') == 9 ]] || fail "test split: 9 answers expected"

# --- one image, one question
image=$(ls "$world"/images/synth_val_*.jpg | head -1)
out=$(expect_ok "single question" $eval_bin $vqa --image="$image" --question="what color is the circle?")
[[ "$out" == *"  1. "* && "$out" == *"  5. "* && "$out" == *"sigmoid probabilities"* ]] || fail "single question: $out"
expect_error "single question, no image file" "$tmp/none.jpg" $eval_bin $vqa --image="$tmp/none.jpg" --question="why?"
expect_error "single question without question" "--image and --question go together" $eval_bin $vqa --image="$image"

# --- a pre-training checkpoint: task accuracies and retrieval; the dictionary picture
pre="--config=$world/pretrain.pbtxt --checkpoint=$world/pretrain.pth"
out=$(expect_ok "pretrain" $eval_bin $pre --retrieval_images=2 --output="$tmp/pre")
[[ "$out" == *"MLM (masked tokens)"* && "$out" == *"text->image R@1"* ]] || fail "pretrain: $out"
[[ $(json "$tmp/pre/pretrain_eval.json" 'd["retrieval"]["images"], d["retrieval"]["texts"]') == "2 10" ]] \
  || fail "pretrain_eval.json: $(cat "$tmp/pre/pretrain_eval.json")"
out=$(expect_ok "dictionary" $eval_bin $pre --visualize_dictionary="$tmp/dict" --dictionary_entries=3)
ls "$tmp"/dict/entry_01_*.png >/dev/null 2>&1 || fail "no dictionary sheet: $out"
[[ -f "$tmp/dict/dictionary_usage.json" ]] || fail "no dictionary_usage.json"

# --- bad combinations and inputs
expect_error "no checkpoint" "--checkpoint is required" $eval_bin --config="$world/vqa.pbtxt"
expect_error "missing checkpoint" "$tmp/none.pth" $eval_bin --config="$world/vqa.pbtxt" --checkpoint="$tmp/none.pth"
expect_error "wrong checkpoint kind" "pretrain.pth: does not fit the model" \
  $eval_bin --config="$world/vqa.pbtxt" --checkpoint="$world/pretrain.pth"
expect_error "bad split" "--split must be val or test" $eval_bin $vqa --split=train
expect_error "image with a pre-training config" "need a VQA config" $eval_bin $pre --image="$image" --question="why?"
expect_error "dictionary with a VQA config" "needs a pre-training config" $eval_bin $vqa --visualize_dictionary="$tmp/x"
expect_error "results with a config" "leave out --config" $eval_bin $vqa --results=$r
expect_error "top_k" "--top_k must be in [1, 100000] (got 0)" $eval_bin $vqa --top_k=0
expect_error "bad config" "model.backbone.depth" $eval_bin $vqa --set=model.backbone.depth=7

# An unreadable val image: its questions get no answer, and the official metric, which needs
# every annotated question, says which and why (after the results are written).
rm "$(ls "$world"/images/synth_val_*.jpg | head -1)"
expect_error "unreadable val image" "questions got no answer because their images could not be read" \
  $eval_bin $vqa --split=val --output="$tmp/val_bad" --set=data.max_skipped_fraction=0.5
[[ $(json "$tmp/val_bad/vqa_results.json" 'len(d)') == 6 ]] || fail "results of the readable images are written"

finish eval_test
