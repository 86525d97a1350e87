#include "soho/data/text/wordpiece_trainer.h"

#include <algorithm>
#include <utility>

#include <unordered_set>
#include "absl/strings/str_cat.h"
#include "soho/common/file_util.h"
#include "soho/data/text/unicode.h"
#include "soho/data/text/vocab.h"
#include "soho/data/text/wordpiece_tokenizer.h"

namespace soho::data {
namespace {

// WordpieceTokenizer's default: longer words become [UNK] whatever the vocabulary holds.
constexpr size_t kMaxCharsPerWord = 100;

using Counted = std::pair<std::string, int64_t>;

// Most frequent first; ties in byte order, so the result never depends on hash order.
std::vector<Counted> SortedByCount(const absl::flat_hash_map<std::string, int64_t>& counts) {
  std::vector<Counted> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const Counted& a, const Counted& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return sorted;
}

}  // namespace

WordpieceTrainer::WordpieceTrainer(WordpieceTrainerOptions options)
    : options_(options), basic_(options.lower_case) {}

void WordpieceTrainer::Add(absl::string_view text) {
  ++num_texts_;
  for (std::string& word : basic_.Tokenize(text)) ++word_counts_[std::move(word)];
}

absl::StatusOr<std::vector<std::string>> WordpieceTrainer::Build() const {
  std::vector<std::string> vocab = {kPadToken, kUnkToken, kClsToken, kSepToken, kMaskToken};
  std::unordered_set<std::string> present(vocab.begin(), vocab.end());

  // Character pieces: what guarantees that every word can be split.
  absl::flat_hash_map<std::string, int64_t> piece_counts;
  for (const auto& [word, count] : word_counts_) {
    const std::u32string chars = unicode::DecodeUtf8(word);
    if (chars.size() > kMaxCharsPerWord) continue;
    for (size_t i = 0; i < chars.size(); ++i) {
      piece_counts[absl::StrCat(i == 0 ? "" : kContinuationPrefix, unicode::EncodeUtf8(chars[i]))] +=
          count;
    }
  }
  for (auto& [piece, count] : SortedByCount(piece_counts)) {
    if (present.insert(piece).second) vocab.push_back(piece);
  }
  if (static_cast<int>(vocab.size()) > options_.max_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vocabulary max_size ", options_.max_size, " is too small: the 5 special tokens and the ",
        vocab.size() - 5, " character pieces of this corpus need ", vocab.size()));
  }

  for (auto& [word, count] : SortedByCount(word_counts_)) {
    if (static_cast<int>(vocab.size()) >= options_.max_size || count < options_.min_word_count) break;
    if (present.insert(word).second) vocab.push_back(word);
  }
  return vocab;
}

absl::Status WriteVocabFile(const std::string& path, const std::vector<std::string>& tokens) {
  std::string text;
  for (const std::string& token : tokens) absl::StrAppend(&text, token, "\n");
  return WriteFileAtomically(path, text);
}

}  // namespace soho::data
