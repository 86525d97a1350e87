"""Differential test: NormalizeVqaAnswer against the official VQA evaluation script's own
functions (vqaEval.py: processPunctuation, processDigitArticle and the answer clean-up of
evaluate()), transcribed below with the class attributes and methods made module-level and
run by Python, on thousands of random answers built
from number words, articles, contractions, digits with commas/periods and punctuation.

Usage: vqa_answer_normalizer_reference_test.py <path to normalize_answers>
"""
import random
import re
import subprocess
import sys

# --- from vqaEval.py (tables and code unchanged; `self.` dropped) ---
contractions = {"aint": "ain't", "arent": "aren't", "cant": "can't", "couldve": "could've", "couldnt": "couldn't", "couldn'tve": "couldn't've", "couldnt've": "couldn't've", "didnt": "didn't", "doesnt": "doesn't", "dont": "don't", "hadnt": "hadn't", "hadnt've": "hadn't've", "hadn'tve": "hadn't've", "hasnt": "hasn't", "havent": "haven't", "hed": "he'd", "hed've": "he'd've", "he'dve": "he'd've", "hes": "he's", "howd": "how'd", "howll": "how'll", "hows": "how's", "Id've": "I'd've", "I'dve": "I'd've", "Im": "I'm", "Ive": "I've", "isnt": "isn't", "itd": "it'd", "itd've": "it'd've", "it'dve": "it'd've", "itll": "it'll", "let's": "let's", "maam": "ma'am", "mightnt": "mightn't", "mightnt've": "mightn't've", "mightn'tve": "mightn't've", "mightve": "might've", "mustnt": "mustn't", "mustve": "must've", "neednt": "needn't", "notve": "not've", "oclock": "o'clock", "oughtnt": "oughtn't", "ow's'at": "'ow's'at", "'ows'at": "'ow's'at", "'ow'sat": "'ow's'at", "shant": "shan't", "shed've": "she'd've", "she'dve": "she'd've", "she's": "she's", "shouldve": "should've", "shouldnt": "shouldn't", "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've", "somebody'd": "somebodyd", "somebodyd've": "somebody'd've", "somebody'dve": "somebody'd've", "somebodyll": "somebody'll", "somebodys": "somebody's", "someoned": "someone'd", "someoned've": "someone'd've", "someone'dve": "someone'd've", "someonell": "someone'll", "someones": "someone's", "somethingd": "something'd", "somethingd've": "something'd've", "something'dve": "something'd've", "somethingll": "something'll", "thats": "that's", "thered": "there'd", "thered've": "there'd've", "there'dve": "there'd've", "therere": "there're", "theres": "there's", "theyd": "they'd", "theyd've": "they'd've", "they'dve": "they'd've", "theyll": "they'll", "theyre": "they're", "theyve": "they've", "twas": "'twas", "wasnt": "wasn't", "wed've": "we'd've", "we'dve": "we'd've", "weve": "we've", "werent": "weren't", "whatll": "what'll", "whatre": "what're", "whats": "what's", "whatve": "what've", "whens": "when's", "whered": "where'd", "wheres": "where's", "whereve": "where've", "whod": "who'd", "whod've": "who'd've", "who'dve": "who'd've", "wholl": "who'll", "whos": "who's", "whove": "who've", "whyll": "why'll", "whyre": "why're", "whys": "why's", "wont": "won't", "wouldve": "would've", "wouldnt": "wouldn't", "wouldnt've": "wouldn't've", "wouldn'tve": "wouldn't've", "yall": "y'all", "yall'll": "y'all'll", "y'allll": "y'all'll", "yall'd've": "y'all'd've", "y'alld've": "y'all'd've", "y'all'dve": "y'all'd've", "youd": "you'd", "youd've": "you'd've", "you'dve": "you'd've", "youll": "you'll", "youre": "you're", "youve": "you've"}
manualMap = {'none': '0', 'zero': '0', 'one': '1', 'two': '2', 'three': '3', 'four': '4', 'five': '5', 'six': '6', 'seven': '7', 'eight': '8', 'nine': '9', 'ten': '10'}
articles = ['a', 'an', 'the']
periodStrip = re.compile("(?!<=\d)(\.)(?!\d)")
commaStrip = re.compile("(\d)(\,)(\d)")
punct = [';', r"/", '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!']
def processPunctuation(inText):
    outText = inText
    for p in punct:
        if (p + ' ' in inText or ' ' + p in inText) or (re.search(commaStrip, inText) != None):
            outText = outText.replace(p, '')
        else:
            outText = outText.replace(p, ' ')
    outText = periodStrip.sub("", outText, re.UNICODE)
    return outText
def processDigitArticle(inText):
    outText = []
    tempText = inText.lower().split()
    for word in tempText:
        word = manualMap.setdefault(word, word)
        if word not in articles:
            outText.append(word)
    for wordId, word in enumerate(outText):
        if word in contractions:
            outText[wordId] = contractions[word]
    return ' '.join(outText)
# --- end of vqaEval.py ---


def normalize(a):
    a = a.replace('\n', ' ').replace('\t', ' ').strip()
    return processDigitArticle(processPunctuation(a))


WORDS = ["two", "Two", "the", "A", "an", "dont", "Dont", "yes", "no", "1,000", "3.5", "none", "ten",
         "isnt", "let's", "red", "it'dve", "somebody'd", "3", "ok.", "T-Shirt", "Im"]
CHARS = list(";/[]\"{}()=+\\_-><@`,?!.  \t\n'*:#x1\u00e9\u00c9\u00a0")


def main():
    binary = sys.argv[1]
    rng = random.Random(2017)
    answers = ["Two dogs.", "the red one", "1,000", "." * 40 + "a", "..5", "left , right"]
    for _ in range(5000):
        parts = []
        for _ in range(rng.randint(0, 6)):
            if rng.random() < 0.5:
                parts.append(rng.choice(WORDS))
            else:
                parts.append("".join(rng.choice(CHARS) for _ in range(rng.randint(1, 4))))
        answers.append(rng.choice(["", " ", "  "]).join(parts))
    encoded = "\n".join(a.replace("\n", "\x01") for a in answers) + "\n"
    result = subprocess.run([binary], input=encoded.encode("utf-8"), stdout=subprocess.PIPE, check=True)
    outputs = result.stdout.decode("utf-8").split("\x02\n")
    failures = 0
    for answer, output in zip(answers, outputs):
        if normalize(answer) != output:
            failures += 1
            if failures <= 10:
                print("MISMATCH %r: expected %r, got %r" % (answer, normalize(answer), output))
    print("%d mismatches in %d answers" % (failures, len(answers)))
    sys.exit(1 if failures or len(outputs) < len(answers) else 0)


if __name__ == "__main__":
    main()
