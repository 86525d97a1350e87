#pragma once
// Learns a WordPiece vocabulary (vocab.txt) from a text corpus (captions, questions).
//
// Deterministic: the special tokens first ([PAD]=0, [UNK], [CLS], [SEP], [MASK]), then every
// character seen at the start of a word and every character seen inside one (as "##c") — so
// every corpus word of at most 100 characters tokenizes without [UNK] — then whole words by
// decreasing frequency (ties in byte order) until `max_size`. Words are BasicTokenizer
// tokens, so learning and tokenizing agree on what a word is.
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "soho/data/text/basic_tokenizer.h"

namespace soho::data {

struct WordpieceTrainerOptions {
  int max_size = 30522;     // upper bound on the number of tokens (lines of vocab.txt)
  int min_word_count = 1;   // whole words seen fewer times are left to character pieces
  bool lower_case = true;   // must match the tokenizer that will use the vocabulary
};

class WordpieceTrainer {
 public:
  explicit WordpieceTrainer(WordpieceTrainerOptions options);

  // Counts the words of one text.
  void Add(absl::string_view text);

  // The vocabulary, one token per id. Error when max_size cannot hold the special tokens and
  // the character pieces the corpus needs.
  absl::StatusOr<std::vector<std::string>> Build() const;

  int64_t num_texts() const { return num_texts_; }
  int64_t num_distinct_words() const { return static_cast<int64_t>(word_counts_.size()); }

 private:
  WordpieceTrainerOptions options_;
  BasicTokenizer basic_;
  absl::flat_hash_map<std::string, int64_t> word_counts_;
  int64_t num_texts_ = 0;
};

// Writes one token per line via WriteFileAtomically.
absl::Status WriteVocabFile(const std::string& path, const std::vector<std::string>& tokens);

}  // namespace soho::data
