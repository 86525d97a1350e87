#include "soho/data/text/wordpiece_trainer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soho/data/text/bert_tokenizer.h"
#include "soho/data/text/vocab.h"

namespace soho::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Contains;

const std::vector<std::string> kCorpus = {
    "A red circle.", "a red square", "Two red squares!", "the blue circle is left of the square",
    "Café au lait", "中文"};

std::vector<std::string> Learn(const std::vector<std::string>& corpus, int max_size) {
  WordpieceTrainer trainer({/*max_size=*/max_size, /*min_word_count=*/1, /*lower_case=*/true});
  for (const std::string& text : corpus) trainer.Add(text);
  auto vocab = trainer.Build();
  EXPECT_TRUE(vocab.ok()) << vocab.status();
  return vocab.value_or(std::vector<std::string>{});
}

TEST(WordpieceTrainerTest, SpecialsThenCharactersThenWordsByFrequency) {
  const std::vector<std::string> vocab = Learn({"b a b", "c a b", "ab"}, 100);
  // Words: b x3, a x2, c x1, ab x1. Pieces: a 3 (a x2 + ab), b 3, ##b 1, c 1 (ties in byte
  // order: '#' < 'c'); then the words not yet present: only "ab".
  EXPECT_THAT(vocab, ElementsAre("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##b",
                                 "c", "ab"));
}

TEST(WordpieceTrainerTest, EveryCorpusWordTokenizesWithoutUnknown) {
  for (const int max_size : {64, 80, 1000}) {
    const std::vector<std::string> tokens = Learn(kCorpus, max_size);
    ASSERT_LE(static_cast<int>(tokens.size()), max_size);
    auto vocab = Vocab::FromTokens(tokens, "learned");
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    EXPECT_EQ(vocab->pad_id(), 0);
    EXPECT_EQ(vocab->unk_id(), 1);
    EXPECT_EQ(vocab->cls_id(), 2);
    EXPECT_EQ(vocab->sep_id(), 3);
    EXPECT_EQ(vocab->mask_id(), 4);
    const auto tokenizer = BertTokenizer::FromVocab(*std::move(vocab));
    for (const std::string& text : kCorpus) {
      EXPECT_THAT(tokenizer->TokenizeToIds(text), Not(Contains(tokenizer->unk_id())))
          << text << " with max_size " << max_size;
    }
  }
}

TEST(WordpieceTrainerTest, WholeWordsWhenThereIsRoom) {
  const std::vector<std::string> big = Learn(kCorpus, 1000);
  const auto tokenizer = BertTokenizer::FromVocab(*Vocab::FromTokens(big, "big"));
  EXPECT_THAT(tokenizer->Tokenize("Two red squares"), ElementsAre("two", "red", "squares"));
  EXPECT_THAT(tokenizer->Tokenize("cafe"), ElementsAre("cafe"));
  // 5 specials + 28 character pieces leave 7 slots for words: by frequency red (3), then
  // circle, square, the (2 each; "a" is already a piece), then au, blue, cafe. "squares" (1)
  // does not fit and is split into pieces, greedily: "square" + "##s".
  const std::vector<std::string> tokens = Learn(kCorpus, 40);
  ASSERT_EQ(tokens.size(), 40u);
  EXPECT_EQ(tokens[33], "red");
  EXPECT_EQ(tokens[39], "cafe");
  const auto small = BertTokenizer::FromVocab(*Vocab::FromTokens(tokens, "small"));
  EXPECT_THAT(small->Tokenize("squares"), ElementsAre("square", "##s"));
  EXPECT_THAT(small->Tokenize("lait"), ElementsAre("l", "##a", "##i", "##t"));
}

TEST(WordpieceTrainerTest, DeterministicRegardlessOfInputOrder) {
  std::vector<std::string> reversed(kCorpus.rbegin(), kCorpus.rend());
  EXPECT_EQ(Learn(kCorpus, 60), Learn(reversed, 60));
}

TEST(WordpieceTrainerTest, TooSmallMaxSizeIsAnError) {
  WordpieceTrainer trainer({/*max_size=*/8, 1, true});
  trainer.Add("abcdef");
  const auto vocab = trainer.Build();
  ASSERT_FALSE(vocab.ok());
  EXPECT_THAT(std::string(vocab.status().message()), HasSubstr("max_size 8 is too small"));
}

TEST(WordpieceTrainerTest, MinWordCountLeavesRareWordsToPieces) {
  WordpieceTrainer trainer({1000, /*min_word_count=*/2, true});
  for (const char* text : {"red red blue", "ab"}) trainer.Add(text);
  const auto vocab = trainer.Build();
  ASSERT_TRUE(vocab.ok());
  EXPECT_THAT(*vocab, Contains("red"));
  EXPECT_THAT(*vocab, Not(Contains("blue")));
  EXPECT_THAT(*vocab, Not(Contains("ab")));
}

}  // namespace
}  // namespace soho::data
