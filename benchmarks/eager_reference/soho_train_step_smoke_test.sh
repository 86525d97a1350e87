#!/usr/bin/env bash
# Smoke test of the eager training step at toy sizes: the ready line, one JSON answer per
# "step" with every stage timed and a finite loss, the parameter groups split as the
# optimizer's regex says, a timed VQA forward, and exit 0 at end of input.
set -euo pipefail

script=benchmarks/eager_reference/soho_train_step.py
spec='{"threads": 1, "seed": 0, "images": 2, "height": 64, "width": 90, "captions": 2, "length": 6,
 "backbone": {"depth": 18, "frozen_stages": 1, "norm_eval": false, "zero_init_residual": true},
 "neck": {"out_channels": 16, "gate": true, "dict_size": 8, "decay": 0.4, "dict_eps": 1e-5,
          "mask_prob": 1.0, "layer_norm_eps": 1e-5},
 "transformer": {"num_layers": 1, "hidden_size": 16, "num_heads": 2, "intermediate_size": 32,
                 "vocab_size": 40, "max_position_embeddings": 8, "type_vocab_size": 2,
                 "hidden_dropout": 0.1, "attention_dropout": 0.1, "layer_norm_eps": 1e-12},
 "head": {"mlm_weight": 1, "mvm_weight": 1, "itm_weight": 1},
 "vqa": {"hidden_size": 24, "num_answers": 5, "dropout": 0.5},
 "optimizer": {"lr": 1e-4, "grad_clip_norm": 10, "groups": [
   {"kind": "sgd", "name_regex": "^backbone\\.", "lr_mult": 100, "weight_decay": 1e-4, "momentum": 0.9,
    "beta1": 0.9, "beta2": 0.999, "eps": 1e-6},
   {"kind": "adamw", "name_regex": "", "lr_mult": 1, "weight_decay": 0.01, "momentum": 0.9,
    "beta1": 0.9, "beta2": 0.999, "eps": 1e-6}]}}'

out=$(printf 'step\nstep\nvqa 2\n' | /usr/bin/python3 "$script" "$spec")
/usr/bin/python3 - "$out" <<'PY'
import json, math, sys
lines = [json.loads(line) for line in sys.argv[1].splitlines()]
assert len(lines) == 4, lines
ready, steps, vqa = lines[0], lines[1:3], lines[3]
assert ready['ready'] is True and ready['environment']['threads'] == 1, ready
assert ready['environment']['blas'], ready
sgd, adamw = ready['groups']
# ResNet-18 (no fc) without the frozen stem and layer1: 45 tensors, 11,019,008 elements.
assert (sgd['kind'], sgd['tensors'], sgd['elements']) == ('sgd', 45, 11019008), sgd
assert adamw['kind'] == 'adamw' and adamw['tensors'] > 0, adamw
for step in steps:
    assert set(step['stages']) == {'forward', 'backward', 'clip', 'optimizer'}, step
    assert all(s >= 0 for s in step['stages'].values()), step
    assert abs(sum(step['stages'].values()) - step['seconds']) < 1e-6, step
    assert math.isfinite(step['loss']), step
assert vqa['seconds'] > 0 and vqa['minor_faults'] >= 0 and math.isfinite(vqa['logit']), vqa
print('PASS')
PY
