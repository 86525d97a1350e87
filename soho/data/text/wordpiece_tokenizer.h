#pragma once
// BERT's WordpieceTokenizer: greedy longest-match-first split of one word into vocabulary
// pieces, continuation pieces prefixed with "##"; [UNK] when a word is longer than
// `max_chars_per_word` code points or some part of it matches no piece.
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "soho/data/text/vocab.h"

namespace soho::data {

inline constexpr char kContinuationPrefix[] = "##";

class WordpieceTokenizer {
 public:
  // `vocab` must outlive the tokenizer.
  explicit WordpieceTokenizer(const Vocab* vocab, int max_chars_per_word = 100)
      : vocab_(vocab), max_chars_per_word_(max_chars_per_word) {}

  // Appends the piece ids of `word` (one BasicTokenizer token) to `ids`.
  void TokenizeWord(absl::string_view word, std::vector<int>* ids) const;

 private:
  const Vocab* vocab_;
  int max_chars_per_word_;
};

}  // namespace soho::data
