// Expected outputs were produced by the official vqaEval.py functions (processPunctuation,
// processDigitArticle, run under Python 3 on the same inputs), not by this implementation.
#include "soho/data/prepare/vqa_answer_normalizer.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace soho::data {
namespace {

TEST(VqaAnswerNormalizerTest, MatchesTheOfficialEvaluationScript) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Two dogs.", "2 dogs"},
      {"the red one", "red 1"},
      {"dont", "don't"},
      {"Dont know", "don't know"},
      {"1,000", "1000"},        // comma between digits: punctuation deleted, not spaced
      {"yes!", "yes"},
      {"yes?!", "yes"},
      {"a, b", "b"},            // ", " -> comma deleted; article "a" dropped
      {"x.y", "xy"},            // period not followed by a digit
      {"3.5.", "3.5"},          // decimal point kept
      {"..5", ".5"},
      {"t-shirt", "t shirt"},   // "-" not next to a space: replaced by a space
      {"left , right", "left right"},
      {"\xc3\x89t\xc3\xa9 !", "\xc3\xa9t\xc3\xa9"},
      {"  None\n", "0"},
      {"ten", "10"},
      {"an apple", "apple"},
      {"somebody'd", "somebodyd"},  // the table's own oddity, kept verbatim
      {"Im", "im"},             // uppercase keys never match after lower-casing
      {"it's", "it's"},         // apostrophes are not punctuation here
      {"2:30", "2:30"},
      {"(a)", ""},              // "a" is then an article, dropped
      {"a  (b)", "b"},
      {"", ""},
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(NormalizeVqaAnswer(input), expected) << "input: \"" << input << "\"";
  }
  // Only the first 32 periods are stripped (re.UNICODE passed as re.sub's count).
  EXPECT_EQ(NormalizeVqaAnswer(std::string(40, '.') + "a"), "........a");
}

TEST(VqaAnswerNormalizerTest, Steps) {
  EXPECT_EQ(VqaProcessPunctuation("a/b c"), "a b c");
  EXPECT_EQ(VqaProcessPunctuation("a/ b"), "a b");  // "/ " present: "/" deleted
  EXPECT_EQ(VqaProcessPunctuation("1,2 a/b"), "12 ab");
  EXPECT_EQ(VqaProcessDigitArticle("The  Three   Cats"), "3 cats");
  EXPECT_EQ(VqaCleanWhitespace(" Two\tDogs.\n"), "Two Dogs.");  // cleaned, not normalized
  // str.strip() on a unicode string: U+3000 and U+00A0 are whitespace too.
  EXPECT_EQ(VqaCleanWhitespace("\xe3\x80\x80yes\xc2\xa0"), "yes");
}

}  // namespace
}  // namespace soho::data
