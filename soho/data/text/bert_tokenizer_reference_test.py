"""Differential test: BasicTokenizer against a transcription of Hugging Face transformers'
BasicTokenizer (tokenization_bert.py) run by Python itself, on thousands of random strings of
accents, combining marks, CJK, Hangul, Greek sigma contexts, symbols, control and space
characters. Python's unicodedata and str.lower() are the independent reference.

Usage: basic_tokenizer_reference_test.py <path to tokenize_lines>
"""
import random
import subprocess
import sys
import unicodedata


def is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def is_control(c):
    return c not in "\t\n\r" and unicodedata.category(c).startswith("C")


def is_punctuation(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text, lower_case):
    text = "".join(" " if is_whitespace(c) else c for c in text
                   if not (ord(c) == 0 or ord(c) == 0xFFFD or is_control(c)))
    text = "".join(" %s " % c if is_cjk(ord(c)) else c for c in text)
    text = unicodedata.normalize("NFC", text)
    tokens = []
    for token in text.strip().split():
        if lower_case:
            token = token.lower()
            token = "".join(c for c in unicodedata.normalize("NFD", token)
                            if unicodedata.category(c) != "Mn")
        current = []
        for c in token:
            if is_punctuation(c):
                if current:
                    tokens.append("".join(current))
                    current = []
                tokens.append(c)
            else:
                current.append(c)
        if current:
            tokens.append("".join(current))
    return " ".join(tokens).split()


ALPHABET = list("aAbZ 0,.!'\"-$^`~:\t\u00e9\u00c9\u00f1\u0301\u0308\u4e2d\u56fd\u3002\u2014\u00ab\u00bb"
                "\u00a0\u200b\u2028\u3000\u0130\ud55c\u00df\u0391\u03a3\u03c3\u0007\ufb01\u2167"
                "\u00bd\u0e01\u0e34\u02b0\u24b6\u01c5\u00b7\u00aa\u2019\u0345\u1e9e\U00020000"
                "\uac00\ufffd\x00\x85")


def main():
    binary = sys.argv[1]
    rng = random.Random(20211)
    lines = ["Caf\u00e9", "NA\u00cfVE na\u00efve", "Hello,World!!", "\u4e2d\u56fd\u4eba", "\u03a3\u0391\u03a3."]
    for _ in range(5000):
        lines.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 24))))
    failures = 0
    for lower_case in (True, False):
        result = subprocess.run([binary] + ([] if lower_case else ["cased"]),
                                input=("\n".join(lines) + "\n").encode("utf-8"),
                                stdout=subprocess.PIPE, check=True)
        outputs = result.stdout.decode("utf-8").split("\n")
        for line, output in zip(lines, outputs):
            expected = basic_tokenize(line, lower_case)
            got = output.split("\x01") if output else []
            if expected != got:
                failures += 1
                if failures <= 10:
                    print("MISMATCH lower_case=%s %r: expected %r, got %r" % (lower_case, line, expected, got))
    print("%d mismatches in %d tokenizations" % (failures, 2 * len(lines)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
