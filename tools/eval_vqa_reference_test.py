"""Differential test: `eval --questions --annotations --results` against a Python
transcription of vqaEval.py's evaluate() (GT-Vision-Lab/VQA, PythonEvaluationTools), in
both revisions the C++ mirrors (--vqa_eval_rules=2017: the v2.0 release a4f1afd;
2021: a013f00), on random official-format files full of the cases where the rules differ:
number words, articles, punctuation, commas between digits, case, stray whitespace, all ten
answers identical, and answer entries equal in every field.

processPunctuation / processDigitArticle come from the normalizer's own reference test
(soho/data/prepare/vqa_answer_normalizer_reference_test.py), which holds them verbatim.
Rounding is Python 2's round(x, 2) (the script is Python 2): the exact binary value, halves
away from zero, done here with decimal.

Usage: eval_vqa_reference_test.py <normalizer reference .py> <path to eval>
"""
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal


def load_normalizer(path):
    spec = importlib.util.spec_from_file_location("normalizer_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.processPunctuation, module.processDigitArticle


def python2_round(x, digits=2):
    return float(Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def clean(text):
    return text.replace('\n', ' ').replace('\t', ' ').strip()


def evaluate(annotations, results, revision, punctuation, digit_article):
    """The accuracy dict of VQAEval.evaluate(); `revision` is '2017' or '2021'."""
    answer_of = {r['question_id']: r['answer'] for r in results}
    overall, by_question_type, by_answer_type = [], {}, {}
    for annotation in annotations:
        gts = [dict(a) for a in annotation['answers']]  # the script edits its own copies in place
        if revision == '2021':
            for gt in gts:
                gt['answer'] = clean(gt['answer'])
        prediction = clean(answer_of[annotation['question_id']])
        if revision == '2017':
            prediction = digit_article(punctuation(prediction))
        if len(set(gt['answer'] for gt in gts)) > 1:
            for gt in gts:
                gt['answer'] = punctuation(gt['answer'])
                if revision == '2021':
                    gt['answer'] = digit_article(gt['answer'])
            if revision == '2021':
                prediction = digit_article(punctuation(prediction))
        per_subset = []
        for left_out in gts:
            others = [gt for gt in gts if gt != left_out]
            per_subset.append(min(1, float(len([gt for gt in others if gt['answer'] == prediction])) / 3))
        accuracy = float(sum(per_subset)) / len(per_subset)
        overall.append(accuracy)
        by_question_type.setdefault(annotation['question_type'], []).append(accuracy)
        by_answer_type.setdefault(annotation['answer_type'], []).append(accuracy)

    def mean(values):
        return python2_round(100 * float(sum(values)) / len(values))

    return {'overall': mean(overall),
            'perQuestionType': {k: mean(v) for k, v in by_question_type.items()},
            'perAnswerType': {k: mean(v) for k, v in by_answer_type.items()}}


POOL = ["yes", "Yes", "yes.", "yes!", "YES ", "no", "no\n", "two", "2", "Two", "2.", "none", "0", "zero",
        "ten", "10", "a dog", "dog", "the dog", "Dog", "1,000", "1000", "1.000", "t-shirt", "t shirt", "T-Shirt",
        "don't", "dont", "Dont know", "red", " red", "red\t", "3.5", "3.5.", "left , right", "left right",
        "hello, world", "(a)", "a/b", "\u00e9t\u00e9", "it's", "2:30", "an apple", "apple"]


def random_case(rng, num_questions, unique_types):
    questions, annotations, results = [], [], []
    for i in range(num_questions):
        qid = 1000 + i
        image = 50 + i // 3
        answers = []
        distinct = rng.sample(POOL, rng.choice([1, 1, 2, 2, 3, 4]))
        for k in range(rng.choice([10, 10, 10, 3])):
            entry = {"answer": rng.choice(distinct), "answer_confidence": rng.choice(["yes", "maybe"]),
                     "answer_id": k + 1}
            answers.append(entry)
        if rng.random() < 0.2:  # an entry equal in every field to another one
            answers[-1] = dict(answers[0])
        question_type = "type %d" % i if unique_types else rng.choice(["what is", "how many", "is the", "what color"])
        questions.append({"question_id": qid, "image_id": image, "question": "question %d?" % i})
        annotations.append({"question_id": qid, "image_id": image, "question_type": question_type,
                            "answer_type": rng.choice(["yes/no", "number", "other"]),
                            "multiple_choice_answer": distinct[0], "answers": answers})
        prediction = rng.choice(distinct + POOL) if rng.random() < 0.8 else rng.choice(POOL)
        results.append({"question_id": qid, "answer": rng.choice(["", " ", "\t"]) + prediction})
    rng.shuffle(results)  # results need not follow the annotations' order
    return questions, annotations, results


def main():
    punctuation, digit_article = load_normalizer(sys.argv[1])
    binary = sys.argv[2]
    rng = random.Random(2017)
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    failures = 0
    runs = 0
    for round_index in range(8):
        questions, annotations, results = random_case(rng, 60, unique_types=round_index % 2 == 0)
        paths = {}
        for name, content in (("questions", {"task_type": "Open-Ended", "questions": questions}),
                              ("annotations", {"annotations": annotations}), ("results", results)):
            paths[name] = os.path.join(work, "%s_%d.json" % (name, round_index))
            with open(paths[name], "w") as f:
                json.dump(content, f)
        for revision in ("2017", "2021"):
            out = os.path.join(work, "out_%d_%s" % (round_index, revision))
            subprocess.run([binary, "--questions=" + paths["questions"], "--annotations=" + paths["annotations"],
                            "--results=" + paths["results"], "--output=" + out, "--vqa_eval_rules=" + revision],
                           check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(out, "vqa_accuracy.json")) as f:
                got = json.load(f)
            expected = evaluate(annotations, results, revision, punctuation, digit_article)
            runs += 1
            if got != expected:
                failures += 1
                for key in ("overall", "perAnswerType", "perQuestionType"):
                    if got.get(key) != expected[key]:
                        print("MISMATCH round %d rules %s %s:\n  expected %r\n  got      %r"
                              % (round_index, revision, key, expected[key], got.get(key)))
    print("%d of %d runs differ from the Python transcription of vqaEval.py" % (failures, runs))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
