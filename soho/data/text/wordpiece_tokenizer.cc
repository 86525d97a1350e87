#include "soho/data/text/wordpiece_tokenizer.h"

#include "soho/data/text/unicode.h"

namespace soho::data {

void WordpieceTokenizer::TokenizeWord(absl::string_view word, std::vector<int>* ids) const {
  const std::u32string chars = unicode::DecodeUtf8(word);
  if (static_cast<int>(chars.size()) > max_chars_per_word_) {
    ids->push_back(vocab_->unk_id());
    return;
  }
  // Re-encoded (valid UTF-8 even if `word` was not) with the byte offset of each code point,
  // so substrings are cut on character boundaries.
  const std::string utf8 = unicode::EncodeUtf8(chars);
  std::vector<size_t> offsets;
  offsets.reserve(chars.size() + 1);
  size_t offset = 0;
  for (const char32_t c : chars) {
    offsets.push_back(offset);
    offset += unicode::EncodeUtf8(c).size();
  }
  offsets.push_back(offset);

  const size_t first_piece = ids->size();
  std::string candidate;
  for (size_t start = 0; start < chars.size();) {
    int found = -1;
    size_t end = chars.size();
    for (; end > start; --end) {
      candidate.assign(start > 0 ? kContinuationPrefix : "");
      candidate.append(utf8, offsets[start], offsets[end] - offsets[start]);
      found = vocab_->IdOf(candidate);
      if (found >= 0) break;
    }
    if (found < 0) {  // no piece matches here: the whole word is unknown
      ids->resize(first_piece);
      ids->push_back(vocab_->unk_id());
      return;
    }
    ids->push_back(found);
    start = end;
  }
}

}  // namespace soho::data
