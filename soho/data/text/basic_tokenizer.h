#pragma once
// BERT's BasicTokenizer (Hugging Face transformers' BasicTokenizer): text cleaning, CJK
// splitting, whitespace split, optional lower-casing + accent stripping (NFD, drop Mn),
// and punctuation split; words listed as never-split (the special tokens) pass unchanged.
// Its output is what WordPiece then splits into vocabulary pieces.
//
// No Unicode normalization otherwise: cased, "e" + U+0301 stays two code points (Hugging
// Face's tokenizers library and transformers before 4.29; transformers 4.29 added an NFC
// step to its Python BasicTokenizer only). Checked against a transcription on thousands of
// random strings (accents, CJK, Greek, symbols, control and space characters).
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

namespace soho::data {

class BasicTokenizer {
 public:
  // `lower_case`: uncased models (bert-base-uncased); also strips accents.
  explicit BasicTokenizer(bool lower_case = true, std::vector<std::string> never_split = {})
      : lower_case_(lower_case), never_split_(std::move(never_split)) {}

  // UTF-8 in, UTF-8 words and punctuation marks out.
  std::vector<std::string> Tokenize(absl::string_view text) const;

 private:
  bool lower_case_;
  std::vector<std::string> never_split_;
};

}  // namespace soho::data
