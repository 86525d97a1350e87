#pragma once
// BERT's BasicTokenizer (Hugging Face transformers' BasicTokenizer): text cleaning, CJK
// splitting, NFC, whitespace split, optional lower-casing + accent stripping (NFD, drop Mn),
// and punctuation split. Its output is what WordPiece then splits into vocabulary pieces.
//
// Known differences to Python: lower-casing is Unicode's simple one-to-one mapping (Python's
// str.lower also applies the context-dependent final-sigma rule); special tokens written in
// the text ("[MASK]") are split like any other text.
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
