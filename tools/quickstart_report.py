#!/usr/bin/env python3
"""The quick start's report: collects what its runs wrote, and compares two reports.

  quickstart_report.py build WORK_DIR      -> WORK_DIR/report.json and a table on stdout
  quickstart_report.py compare EXPECTED ACTUAL [--vqa_tolerance=P] [--metric_tolerance=P]
      -> a table of every number that differs by more than its tolerance; exit 1 if any does

`build` reads (all written by tools/quickstart.sh and the `eval` tool):
  WORK_DIR/seconds.json                               {"prepare": s, "pretrain": s, ...}
  WORK_DIR/pretrain/eval_pretrain/pretrain_eval.json  MLM/ITM/MVM accuracy, zero-shot retrieval
  WORK_DIR/vqa_<variant>/eval_val/vqa_accuracy.json   official VQA accuracy per variant
Only the standard library: the quick start runs before anything else is installed for Python.
"""
import argparse
import json
import os
import sys

VARIANTS = ("pretrained", "scratch", "question_only")


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        sys.exit(f"quickstart_report: {path} is missing (did that step of the quick start run?)")
    except json.JSONDecodeError as e:
        sys.exit(f"quickstart_report: {path}: malformed JSON: {e}")


def build(work_dir):
    report = {"vqa_accuracy": {}, "vqa_accuracy_by_type": {}}
    for variant in VARIANTS:
        accuracy = read_json(os.path.join(work_dir, f"vqa_{variant}", "eval_val", "vqa_accuracy.json"))
        report["vqa_accuracy"][variant] = accuracy["overall"]
        report["vqa_accuracy_by_type"][variant] = accuracy["perAnswerType"]
    pretrain = read_json(os.path.join(work_dir, "pretrain", "eval_pretrain", "pretrain_eval.json"))
    report["pretrain"] = {
        "mlm_acc": pretrain["mlm_accuracy"],
        "itm_acc": pretrain["itm_accuracy"],
        "itm_balanced_acc": pretrain.get("itm_balanced_accuracy"),
        "mvm_acc": pretrain["mvm_accuracy"],
    }
    retrieval = pretrain.get("retrieval", {})
    report["retrieval"] = {
        "images": retrieval.get("images"),
        "text_to_image_r1": retrieval.get("text_to_image", {}).get("R@1"),
        "text_to_image_r5": retrieval.get("text_to_image", {}).get("R@5"),
        "image_to_text_r1": retrieval.get("image_to_text", {}).get("R@1"),
        "image_to_text_r5": retrieval.get("image_to_text", {}).get("R@5"),
    }
    report["seconds"] = read_json(os.path.join(work_dir, "seconds.json"))
    seed_file = os.path.join(work_dir, "seed")
    if os.path.exists(seed_file):
        report["seed"] = int(open(seed_file).read().strip())

    out = os.path.join(work_dir, "report.json")
    with open(out + ".tmp", "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(out + ".tmp", out)

    acc = report["vqa_accuracy"]
    print("VQA accuracy (official metric, synthetic val split):")
    print(f"  {'fine-tuned from':<34}{'overall':>9}{'yes/no':>9}{'number':>9}{'other':>9}")
    labels = {"pretrained": "SOHO pre-training (tiny config)",
              "scratch": "scratch (no pre-training)",
              "question_only": "question only (images blanked)"}
    for variant in VARIANTS:
        by_type = report["vqa_accuracy_by_type"][variant]
        print(f"  {labels[variant]:<34}{acc[variant]:>9.2f}" +
              "".join(f"{by_type.get(t, float('nan')):>9.2f}" for t in ("yes/no", "number", "other")))
    p = report["pretrain"]
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    print(f"pre-training tasks (val): MLM {fmt(p['mlm_acc'])}  ITM {fmt(p['itm_acc'])} "
          f"(balanced {fmt(p['itm_balanced_acc'])}, chance 50)  MVM {fmt(p['mvm_acc'])}")
    r = report["retrieval"]
    if r["images"]:
        print(f"zero-shot retrieval over {r['images']} val images: text->image R@1 {fmt(r['text_to_image_r1'])}, "
              f"image->text R@1 {fmt(r['image_to_text_r1'])}")
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in report["seconds"].items()))
    print(f"wrote {out}")
    ok = acc["pretrained"] > acc["scratch"] > acc["question_only"]
    print("pre-trained > scratch > question-only: " + ("yes" if ok else "NO"))


def flatten(value, prefix=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, value


def compare(expected_path, actual_path, vqa_tolerance, metric_tolerance):
    expected = dict(flatten(read_json(expected_path)))
    actual = dict(flatten(read_json(actual_path)))
    rows = []
    for key, want in expected.items():
        if key.startswith("seconds.") or key == "seed":
            continue  # machine-dependent, or the run's identity
        got = actual.get(key)
        tolerance = vqa_tolerance if key.startswith("vqa_accuracy") else metric_tolerance
        if isinstance(want, (int, float)) and isinstance(got, (int, float)):
            if abs(got - want) > tolerance:
                rows.append((key, want, got, f"{got - want:+.3g} (tolerance {tolerance})"))
        elif got != want:
            rows.append((key, want, got, "differs"))
    if rows:
        print(f"{len(rows)} reported numbers differ from {expected_path}:")
        print(f"  {'number':<40} {'recorded':>20} {'now':>20}  difference")
        for key, want, got, note in rows:
            print(f"  {key:<40} {str(want):>20} {str(got):>20}  {note}")
        return 1
    print(f"all reported numbers match {expected_path} (VQA within {vqa_tolerance}, other metrics within "
          f"{metric_tolerance} points)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write WORK_DIR/report.json and print the table")
    b.add_argument("work_dir")
    c = sub.add_parser("compare", help="compare a report with a recorded one")
    c.add_argument("expected")
    c.add_argument("actual")
    c.add_argument("--vqa_tolerance", type=float, default=0.0, help="points of VQA accuracy")
    c.add_argument("--metric_tolerance", type=float, default=0.0, help="points of the other accuracies")
    args = parser.parse_args()
    if args.command == "build":
        build(args.work_dir)
        return 0
    return compare(args.expected, args.actual, args.vqa_tolerance, args.metric_tolerance)


if __name__ == "__main__":
    sys.exit(main())
