#!/usr/bin/env bash
# End-to-end test of //tools:prepare: every mode on tiny inputs, summaries, and clear errors.
set -uo pipefail

prepare=tools/prepare
source tools/cli_test_lib.sh

# The synthetic world, as the tiny configs expect it.
out=$(expect_ok "synthetic" $prepare synthetic --out="$tmp/syn" --num_images=6 --seed=3 --threads=2)
[[ "$out" == *"synthetic: 6 train, 1 val, 1 test images"* ]] || fail "synthetic summary: $out"
for f in pretrain_train.json pretrain_val.json vqa_train.json vqa_val.json vqa_test.json vocab.txt; do
  [[ -s "$tmp/syn/$f" ]] || fail "synthetic: missing $f"
done
[[ $(ls "$tmp/syn/images" | wc -l) == 8 ]] || fail "synthetic: expected 8 images"
(( $(wc -l < "$tmp/syn/vocab.txt") <= 512 )) || fail "synthetic: vocab.txt over 512 entries"
[[ $(head -1 "$tmp/syn/vocab.txt") == "[PAD]" ]] || fail "synthetic: vocab.txt does not start with [PAD]"
# Same seed, same bytes.
expect_ok "synthetic again" $prepare synthetic --out="$tmp/syn2" --num_images=6 --seed=3 --threads=1 >/dev/null
diff -r "$tmp/syn" "$tmp/syn2" >/dev/null || fail "synthetic: not deterministic for a seed"

# The outputs parse: 'vocab' reads pre-training and VQA annotation files back.
out=$(expect_ok "vocab" $prepare vocab --corpus="$tmp/syn/pretrain_train.json,$tmp/syn/vqa_train.json" \
  --out="$tmp/vocab.txt" --vocab_size=300)
[[ "$out" == *"distinct words ->"* ]] || fail "vocab summary: $out"
[[ -s "$tmp/vocab.txt" ]] || fail "vocab: no vocab.txt"

# The fixtures hold as many bad entries as good ones: by default that fails, writing nothing.
expect_error "coco over the skip limit" "skipped 5 of 9 items, more than --max_skipped_fraction=0.5" \
  $prepare coco --captions=testdata/coco/captions_train2014.json --out="$tmp/coco.json"
[[ -e "$tmp/coco.json" ]] && fail "coco over the skip limit left $tmp/coco.json"
out=$(expect_ok "coco" $prepare coco --captions=testdata/coco/captions_train2014.json --out="$tmp/coco.json" \
  --max_skipped_fraction=0.6)
[[ "$out" == *"coco: 2 images, 4 captions; skipped 5"* ]] || fail "coco summary: $out"
[[ "$out" == *"caption of an unknown image x1"* ]] || fail "coco summary lacks skip reasons: $out"

out=$(expect_ok "vg" $prepare vg --regions=testdata/vg/region_descriptions.json \
  --image_data=testdata/vg/image_data.json --out="$tmp/vg.json" --max_skipped_fraction=0.6)
[[ "$out" == *"vg: 3 images, 4 captions"* ]] || fail "vg summary: $out"

out=$(expect_ok "vqa train" $prepare vqa --questions=testdata/vqa/v2_OpenEnded_mscoco_train2014_questions.json \
  --annotations=testdata/vqa/v2_mscoco_train2014_annotations.json --min_answer_count=1 \
  --out="$tmp/vqa_train.json")
[[ "$out" == *"vqa: 3 images, 5 questions"* && "$out" == *"6 answers in the vocabulary"* ]] || fail "vqa summary: $out"
# The COCO fixture's 4th image has a string width: sizes cannot be trusted, so this fails.
expect_error "vqa image info" "images[3]: field 'width'" $prepare vqa \
  --questions=testdata/vqa/v2_OpenEnded_mscoco_train2014_questions.json \
  --annotations=testdata/vqa/v2_mscoco_train2014_annotations.json --image_info=testdata/coco/captions_train2014.json \
  --min_answer_count=1 --out="$tmp/x.json"
out=$(expect_ok "vqa test" $prepare vqa --questions=testdata/vqa/v2_OpenEnded_mscoco_test2015_questions.json \
  --answer_vocab="$tmp/vqa_train.json" --out="$tmp/vqa_test.json")
[[ "$out" == *"vqa: 2 images, 3 questions"* ]] || fail "vqa test summary: $out"
grep -q '"labels"' "$tmp/vqa_test.json" && fail "vqa test split carries labels"

# Errors name the file and what is wrong: here the second comma, line 2 column 17.
printf '[{"file_name": "a.jpg",\n  "image_id": 1,,}]' > "$tmp/bad.json"
expect_error "malformed JSON" "$tmp/bad.json:2:17" $prepare vocab --corpus="$tmp/bad.json" --out="$tmp/v.txt"
expect_error "missing file" "nope.json" $prepare coco --captions="$tmp/nope.json" --out="$tmp/c.json"
expect_error "wrong layout" "missing field 'images'" $prepare coco \
  --captions=testdata/vqa/v2_mscoco_train2014_annotations.json --out="$tmp/c.json"
expect_error "missing flag" "--questions is required" $prepare vqa --out="$tmp/v.json"
expect_error "test split without vocabulary" "--answer_vocab" $prepare vqa \
  --questions=testdata/vqa/v2_OpenEnded_mscoco_test2015_questions.json --out="$tmp/v.json"
expect_error "bad mode" "got 'cocoa'" $prepare cocoa
expect_error "too few captions" "--captions_per_image must be in [5, 99] (got 3)" $prepare synthetic --out="$tmp/s" \
  --captions_per_image=3

finish prepare_test
