#pragma once
// BERT's BasicTokenizer (Hugging Face transformers' BasicTokenizer): text cleaning, CJK
// splitting, NFC, whitespace split, optional lower-casing + accent stripping (NFD, drop Mn),
// and punctuation split. Its output is what WordPiece then splits into vocabulary pieces.
//
// Checked against a transcription of Hugging Face's BasicTokenizer on thousands of random
// strings (accents, CJK, Greek, symbols, control and space characters). Known difference:
// special tokens written in the text ("[MASK]") are split like any other text.
#include <string>
#include <string_view>
#include <vector>

namespace soho::data {

class BasicTokenizer {
 public:
  // `lower_case`: uncased models (bert-base-uncased); also strips accents.
  explicit BasicTokenizer(bool lower_case = true) : lower_case_(lower_case) {}

  // UTF-8 in, UTF-8 words and punctuation marks out.
  std::vector<std::string> Tokenize(std::string_view text) const;

 private:
  bool lower_case_;
};

}  // namespace soho::data
