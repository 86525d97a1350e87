#include "soho/data/text/basic_tokenizer.h"

#include <algorithm>

#include "soho/data/text/unicode.h"

namespace soho::data {

namespace uc = unicode;

std::vector<std::string> BasicTokenizer::Tokenize(absl::string_view text) const {
  // Clean: drop NUL, U+FFFD and control characters; every whitespace becomes a space;
  // surround CJK ideographs with spaces so each is its own word.
  std::u32string cleaned;
  for (const char32_t c : uc::DecodeUtf8(text)) {
    if (c == 0 || c == 0xFFFD || uc::IsControl(c)) continue;
    if (uc::IsWhitespace(c)) {
      cleaned.push_back(' ');
    } else if (uc::IsCjk(c)) {
      cleaned.append({U' ', c, U' '});
    } else {
      cleaned.push_back(c);
    }
  }

  std::vector<std::string> output;
  std::u32string word;
  auto flush_word = [&]() {
    if (word.empty()) return;
    if (!never_split_.empty()) {
      std::string utf8 = uc::EncodeUtf8(word);
      if (std::find(never_split_.begin(), never_split_.end(), utf8) != never_split_.end()) {
        output.push_back(std::move(utf8));
        word.clear();
        return;
      }
    }
    std::u32string processed;
    if (lower_case_) {
      for (const char32_t c : uc::Nfd(uc::PythonLower(word))) {
        if (!uc::IsNonspacingMark(c)) processed.push_back(c);
      }
    } else {
      processed = std::move(word);
    }
    // Split on punctuation: each mark is a token of its own.
    std::u32string piece;
    for (const char32_t c : processed) {
      if (uc::IsPunctuation(c)) {
        if (!piece.empty()) output.push_back(uc::EncodeUtf8(piece));
        piece.clear();
        output.push_back(uc::EncodeUtf8(c));
      } else {
        piece.push_back(c);
      }
    }
    if (!piece.empty()) output.push_back(uc::EncodeUtf8(piece));
    word.clear();
  };
  for (const char32_t c : cleaned) {
    if (uc::IsSplitSpace(c)) {
      flush_word();
    } else {
      word.push_back(c);
    }
  }
  flush_word();
  return output;
}

}  // namespace soho::data
