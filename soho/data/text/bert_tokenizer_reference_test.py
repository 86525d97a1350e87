"""Differential test: BertTokenizer against a transcription of Hugging Face's BertTokenizer
(transformers' tokenization_bert.py and the special-token splitting of
PreTrainedTokenizer.tokenize) run by Python itself, on thousands of random strings of
accents, combining marks, CJK, Hangul, Greek sigma contexts, symbols, control and space
characters and special tokens, plus the tricky texts a user reported. Python's unicodedata
and str.lower() are the independent reference.

The rules transcribed (Hugging Face's documented behaviour, which its Rust `tokenizers`
shares):
- special tokens ([UNK] [SEP] [PAD] [CLS] [MASK]) are cut out of the raw text first and
  kept whole, wherever they stand; BasicTokenizer never splits or lower-cases them either;
- cased: no Unicode normalization at all; uncased: lower-case, then NFD and drop marks (Mn).
  (transformers 4.29 added an NFC step to its Python BasicTokenizer only; the Rust
  tokenizers and earlier transformers have none, and this project follows them.)
- WordPiece: greedy longest match first, "##" continuations, a word of more than 100
  characters or with an unmatched part is one [UNK].

Usage: bert_tokenizer_reference_test.py <path to tokenize_lines>
"""
import os
import random
import subprocess
import sys
import tempfile
import unicodedata

SPECIAL = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]


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
    """BasicTokenizer.tokenize with never_split = the special tokens."""
    text = "".join(" " if is_whitespace(c) else c for c in text
                   if not (ord(c) == 0 or ord(c) == 0xFFFD or is_control(c)))
    text = "".join(" %s " % c if is_cjk(ord(c)) else c for c in text)
    tokens = []
    for token in text.strip().split():
        if token in SPECIAL:
            tokens.append(token)
            continue
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


def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        piece = None
        while start < end:
            candidate = ("##" if start > 0 else "") + word[start:end]
            if candidate in vocab:
                piece = candidate
                break
            end -= 1
        if piece is None:
            return ["[UNK]"]
        pieces.append(piece)
        start = end
    return pieces


def split_special(text):
    """The raw text cut at special tokens (PreTrainedTokenizer.tokenize's trie split)."""
    chunks = []
    start = 0
    while True:
        found = [(text.find(s, start), s) for s in SPECIAL if text.find(s, start) >= 0]
        if not found:
            chunks.append(text[start:])
            return chunks
        at, special = min(found)
        chunks.append(text[start:at])
        chunks.append(special)
        start = at + len(special)


def bert_tokenize(text, lower_case, vocab):
    tokens = []
    for chunk in split_special(text):
        if chunk in SPECIAL:
            tokens.append(chunk)
            continue
        for word in basic_tokenize(chunk, lower_case):
            tokens.extend(wordpiece(word, vocab))
    return tokens


ALPHABET = list("aAbZ 0,.!'\"-$^`~:[]\t\u00e9\u00c9\u00f1\u0301\u0308\u4e2d\u56fd\u3002\u2014\u00ab\u00bb"
                "\u00a0\u200b\u2028\u3000\u0130\ud55c\u00df\u0391\u03a3\u03c3\u0007\ufb01\u2167"
                "\u00bd\u0e01\u0e34\u02b0\u24b6\u01c5\u00b7\u00aa\u2019\u0345\u1e9e\U00020000"
                "\uac00\ufffd\x00\x85") + SPECIAL + ["[mask]", "[MASK", "SEP]"]

# Reported by a user as differing from Hugging Face.
TRICKY = ["[MASK] is a [SEP] token", "a[MASK]b [CLS][SEP]", "[mask] [Mask] [MA\x00SK]", "e\u0301 caf\u00e9 cafe\u0301",
          "Caf\u00e9", "NA\u00cfVE na\u00efve", "Hello,World!!", "\u4e2d\u56fd\u4eba", "\u03a3\u0391\u03a3.",
          "x" * 101, "ab" * 50]


def make_vocab(rng):
    """Specials, most characters alone and as continuations, and some longer pieces; a few
    characters are left out so that [UNK] comes up. No whitespace or control characters
    (vocab.txt is one token per line)."""
    chars = sorted({c for c in "".join(ALPHABET) + "".join(unicodedata.normalize("NFD", c.lower()) for c in ALPHABET)
                    if not (is_whitespace(c) or is_control(c) or c in "\u2028\ufffd")})
    vocab = list(SPECIAL)
    for c in chars:
        if c == "\u0301":  # "e" + U+0301 must be [UNK] when cased, as in bert-base-cased
            continue
        if rng.random() < 0.9:
            vocab.append(c)
        if rng.random() < 0.8:
            vocab.append("##" + c)
    vocab += ["e", "ab", "##ab", "aa", "##ba", "caf", "cafe", "caf\u00e9", "\u00e9", "na", "##ive", "x"]
    for _ in range(200):
        piece = "".join(rng.choice(chars) for _ in range(rng.randint(2, 4)))
        vocab.append(piece if rng.random() < 0.5 else "##" + piece)
    return list(dict.fromkeys(vocab))


def main():
    binary = sys.argv[1]
    rng = random.Random(20211)
    vocab = make_vocab(rng)
    vocab_path = os.path.join(os.environ.get("TEST_TMPDIR", tempfile.gettempdir()), "reference_vocab.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    vocab_set = set(vocab)
    lines = list(TRICKY)
    for _ in range(5000):
        lines.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 24))))
    failures = 0
    for lower_case in (True, False):
        result = subprocess.run([binary, vocab_path] + ([] if lower_case else ["cased"]),
                                input=("\n".join(lines) + "\n").encode("utf-8"),
                                stdout=subprocess.PIPE, check=True)
        outputs = result.stdout.decode("utf-8").split("\n")
        for line, output in zip(lines, outputs):
            expected = bert_tokenize(line, lower_case, vocab_set)
            got = output.split("\x01") if output else []
            if expected != got:
                failures += 1
                if failures <= 10:
                    print("MISMATCH lower_case=%s %r: expected %r, got %r" % (lower_case, line, expected, got))
    # The reported cases, spelled out: special tokens whole, no composition when cased.
    assert bert_tokenize("[MASK] is a [SEP] token", True, vocab_set)[0] == "[MASK]"
    assert bert_tokenize("e\u0301", False, vocab_set) == ["[UNK]"]
    assert bert_tokenize("e\u0301", True, vocab_set) == ["e"]
    print("%d mismatches in %d tokenizations" % (failures, 2 * len(lines)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
