// Expected ids are worked out by hand from testdata/text/tiny_vocab.txt (id = line - 1):
//   0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 [MASK] 5 cafe 6 play 7 ##ing 8 ##ed 9 , 10 . 11 !
//   12 the 13 a 14 red 15 circle 16 中 17 国 18 un 19 ##aff 20 ##able 21 $ 22 ' 23 s
//   24 don 25 t 26 naive 27 hello 28 world 29 ##s 30 -
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/common/file_util.h"
#include "soho/data/text/basic_tokenizer.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/data/text/vocab.h"

namespace soho::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kVocabPath[] = "testdata/text/tiny_vocab.txt";

std::unique_ptr<BertTokenizer> Tiny() {
  auto tokenizer = BertTokenizer::Create(kVocabPath);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  return std::move(tokenizer).value();
}

TEST(VocabTest, LoadsIdsAndSpecialTokens) {
  const auto tokenizer = Tiny();
  EXPECT_EQ(tokenizer->vocab_size(), 31);
  EXPECT_EQ(tokenizer->pad_id(), 0);
  EXPECT_EQ(tokenizer->unk_id(), 1);
  EXPECT_EQ(tokenizer->cls_id(), 2);
  EXPECT_EQ(tokenizer->sep_id(), 3);
  EXPECT_EQ(tokenizer->mask_id(), 4);
  EXPECT_EQ(tokenizer->vocab().IdOf("##able"), 20);
  EXPECT_EQ(tokenizer->vocab().IdOf("absent"), -1);
  EXPECT_TRUE(tokenizer->vocab().IsSpecial(4));
  EXPECT_FALSE(tokenizer->vocab().IsSpecial(5));
}

TEST(VocabTest, Errors) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp ? tmp : "/tmp";
  const auto missing = Vocab::Load(dir + "/no_such_vocab.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("no_such_vocab.txt"));

  ASSERT_TRUE(WriteFileAtomically(dir + "/empty_vocab.txt", "").ok());
  const auto empty = Vocab::Load(dir + "/empty_vocab.txt");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("empty_vocab.txt: empty vocabulary"));

  ASSERT_TRUE(WriteFileAtomically(dir + "/no_mask.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nred\r\n").ok());
  const auto no_mask = Vocab::Load(dir + "/no_mask.txt");
  ASSERT_FALSE(no_mask.ok());
  EXPECT_THAT(std::string(no_mask.status().message()), HasSubstr("no_mask.txt"));
  EXPECT_THAT(std::string(no_mask.status().message()), HasSubstr("missing special token(s) [MASK]"));
}

TEST(BasicTokenizerTest, UncasedLowersStripsAccentsAndSplitsPunctuation) {
  const BasicTokenizer basic(/*lower_case=*/true);
  EXPECT_THAT(basic.Tokenize("Café"), ElementsAre("cafe"));
  EXPECT_THAT(basic.Tokenize("NAI\xcc\x88VE naïve"), ElementsAre("naive", "naive"));  // NFD input too
  EXPECT_THAT(basic.Tokenize("Hello,World!!"), ElementsAre("hello", ",", "world", "!", "!"));
  // Every ASCII symbol is punctuation, even those Unicode files under S* (^, `, $, +, |).
  EXPECT_THAT(basic.Tokenize("a^b`c$d+e|f"),
              ElementsAre("a", "^", "b", "`", "c", "$", "d", "+", "e", "|", "f"));
  // Unicode P* categories: em dash (Pd), guillemets (Pi/Pf), ideographic full stop (Po).
  EXPECT_THAT(basic.Tokenize("x\xe2\x80\x94y \xc2\xabz\xc2\xbb\xe3\x80\x82"),
              ElementsAre("x", "\xe2\x80\x94", "y", "\xc2\xab", "z", "\xc2\xbb", "\xe3\x80\x82"));
}

TEST(BasicTokenizerTest, LowerCasingFollowsPython) {
  const BasicTokenizer basic;
  // Python's str.lower(): capital sigma ends a word as final sigma (U+03C2), else U+03C3;
  // the "." after it is case-ignorable, so "ΣΑΣ." still ends in final sigma.
  EXPECT_THAT(basic.Tokenize("\xce\xa3\xce\x91\xce\xa3. \xce\xa3"),
              ElementsAre("\xcf\x83\xce\xb1\xcf\x82", ".", "\xcf\x83"));
  // U+0130 (I with dot above) lower-cases to "i" + a combining dot, which is then stripped.
  EXPECT_THAT(basic.Tokenize("\xc4\xb0stanbul"), ElementsAre("istanbul"));
}

TEST(BasicTokenizerTest, CasedKeepsCaseAndAccents) {
  const BasicTokenizer basic(/*lower_case=*/false);
  EXPECT_THAT(basic.Tokenize("Café!"), ElementsAre("Café", "!"));
  // No normalization when cased (as Hugging Face): a decomposed accent stays decomposed.
  EXPECT_THAT(basic.Tokenize("Cafe\xcc\x81"), ElementsAre("Cafe\xcc\x81"));
}

TEST(BasicTokenizerTest, CleansControlCharactersAndWhitespace) {
  const BasicTokenizer basic;
  // NUL, BEL, U+FFFD and zero-width space (Cf) are removed; tab/newline/NBSP (Zs) separate.
  EXPECT_THAT(basic.Tokenize(std::string("\x07red\xc2\xa0" "cir\0cle\xe2\x80\x8b\t\n  \xef\xbf\xbd", 23)),
              ElementsAre("red", "circle"));
  // An invalid UTF-8 byte is dropped like U+FFFD.
  EXPECT_THAT(basic.Tokenize("red \xff circle"), ElementsAre("red", "circle"));
  // Python's str.split() also splits on U+2028 (line separator).
  EXPECT_THAT(basic.Tokenize("red\xe2\x80\xa8" "circle"), ElementsAre("red", "circle"));
  EXPECT_TRUE(basic.Tokenize(" \t\n").empty());
}

TEST(BasicTokenizerTest, SplitsCjkIdeographsIntoSingleTokens) {
  const BasicTokenizer basic;
  EXPECT_THAT(basic.Tokenize("中国人abc"), ElementsAre("中", "国", "人", "abc"));
  // Hangul is not in the CJK ideograph ranges: it stays one word (cased: as written; uncased:
  // NFD decomposes the syllables into conjoining jamo, as Python's unicodedata does).
  EXPECT_THAT(BasicTokenizer(false).Tokenize("한국어"), ElementsAre("한국어"));
  EXPECT_THAT(basic.Tokenize("한국어"),
              ElementsAre("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xe1\x84\x80\xe1\x85\xae"
                          "\xe1\x86\xa8\xe1\x84\x8b\xe1\x85\xa5"));
}

TEST(BertTokenizerTest, WordpieceGreedyLongestMatchWithContinuations) {
  const auto tok = Tiny();
  EXPECT_THAT(tok->TokenizeToIds("unaffable"), ElementsAre(18, 19, 20));
  EXPECT_THAT(tok->Tokenize("playing played plays"),
              ElementsAre("play", "##ing", "play", "##ed", "play", "##s"));
  EXPECT_THAT(tok->TokenizeToIds("Hello, World!"), ElementsAre(27, 9, 28, 11));
  EXPECT_THAT(tok->TokenizeToIds("don't"), ElementsAre(24, 22, 25));
  EXPECT_THAT(tok->TokenizeToIds("Café"), ElementsAre(5));
  EXPECT_THAT(tok->TokenizeToIds("中国人"), ElementsAre(16, 17, 1));
  // "$5": "$" is known, "5" is not.
  EXPECT_THAT(tok->TokenizeToIds("$5"), ElementsAre(21, 1));
  // A word with an unmatched tail is entirely [UNK] (not "play" + [UNK]).
  EXPECT_THAT(tok->TokenizeToIds("playz red"), ElementsAre(1, 14));
}

TEST(BertTokenizerTest, SpecialTokensInTheTextAreKeptWhole) {
  const auto tok = Tiny();
  EXPECT_THAT(tok->Tokenize("[MASK] is a [SEP] token"), ElementsAre("[MASK]", "[UNK]", "a", "[SEP]", "[UNK]"));
  // Wherever they stand, and not lower-cased; a lower-case spelling is ordinary text.
  EXPECT_THAT(tok->Tokenize("red[MASK]circle [mask]"), ElementsAre("red", "[MASK]", "circle", "[UNK]", "[UNK]", "[UNK]"));
  // Cased mode does not compose "e" + U+0301: the vocabulary's "cafe" no longer matches.
  const auto cased = BertTokenizer::FromVocab(Tiny()->vocab(), /*lower_case=*/false);
  EXPECT_THAT(cased->Tokenize("cafe\xcc\x81 [CLS]"), ElementsAre("[UNK]", "[CLS]"));
}

TEST(BertTokenizerTest, WordsLongerThan100CharactersAreUnknown) {
  const auto tok = Tiny();
  std::string word = "play";
  for (int i = 0; i < 32; ++i) word += "ing";  // exactly 100 characters: still split
  const std::vector<int> ids = tok->TokenizeToIds(word);
  ASSERT_EQ(ids.size(), 33u);
  EXPECT_EQ(ids[0], 6);
  EXPECT_EQ(ids[32], 7);
  EXPECT_THAT(tok->TokenizeToIds(word + "s"), ElementsAre(1));  // 101 characters
  // The limit counts characters, not bytes: 60 two-byte "é" (stripped to "e") are fine.
  std::string accents;
  for (int i = 0; i < 60; ++i) accents += "\xc3\xa9";
  EXPECT_THAT(tok->TokenizeToIds(accents), ElementsAre(1));  // "eee..." matches no piece
}

TEST(BertTokenizerTest, EncodeFramesPadsAndTruncates) {
  const auto tok = Tiny();
  const Encoding padded = tok->Encode("The red circle", 8);
  EXPECT_THAT(padded.ids, ElementsAre(2, 12, 14, 15, 3, 0, 0, 0));
  EXPECT_THAT(padded.attention_mask, ElementsAre(1, 1, 1, 1, 1, 0, 0, 0));
  EXPECT_EQ(padded.length, 5);

  const Encoding truncated = tok->Encode("The red circle", 4);
  EXPECT_THAT(truncated.ids, ElementsAre(2, 12, 14, 3));
  EXPECT_THAT(truncated.attention_mask, ElementsAre(1, 1, 1, 1));

  const Encoding exact = tok->Encode("The red circle", 5);
  EXPECT_THAT(exact.ids, ElementsAre(2, 12, 14, 15, 3));

  const Encoding empty = tok->Encode("", 4);
  EXPECT_THAT(empty.ids, ElementsAre(2, 3, 0, 0));
  EXPECT_THAT(empty.attention_mask, ElementsAre(1, 1, 0, 0));

  const Encoding minimal = tok->Encode("red", 2);
  EXPECT_THAT(minimal.ids, ElementsAre(2, 3));
}

}  // namespace
}  // namespace soho::data
