#pragma once
// The few Unicode operations the BERT tokenizer needs, on code points, backed by utf8proc
// (categories, case mapping, NFC/NFD) rather than hand-written tables.
#include <string>
#include <string_view>  // std::u32string_view

#include "absl/strings/string_view.h"

namespace soho::data::unicode {

// Decodes UTF-8; each invalid byte sequence becomes U+FFFD (which the tokenizer drops, as
// Hugging Face's does after Python decodes bytes with errors="replace").
std::u32string DecodeUtf8(absl::string_view text);
// True when `text` is well-formed UTF-8 without NUL bytes: text a person wrote, rather
// than a binary file given where text was expected.
bool IsUtf8Text(absl::string_view text);
std::string EncodeUtf8(std::u32string_view code_points);
std::string EncodeUtf8(char32_t code_point);

// Python's unicodedata semantics as BERT's BasicTokenizer uses them.
bool IsWhitespace(char32_t c);   // ' ', \t, \n, \r or category Zs
bool IsControl(char32_t c);      // category C* except \t, \n, \r
bool IsPunctuation(char32_t c);  // every ASCII non-alphanumeric symbol, or category P*
bool IsCjk(char32_t c);          // a CJK Unified Ideograph (incl. extensions, compatibility)
bool IsNonspacingMark(char32_t c);  // category Mn (accents after NFD)
// Characters Python's str.split() splits on that survive BERT's text cleaning (space, Zl, Zp).
bool IsSplitSpace(char32_t c);
// Python's str.isspace() for one character: \t \n \v \f \r, 0x1C-0x1F, 0x85, Zs, Zl, Zp.
bool IsPythonSpace(char32_t c);

char32_t ToLower(char32_t c);  // simple (one-to-one) lower-case mapping
// Python's str.lower() on a word: ToLower per character, plus Unicode's Final_Sigma rule
// (capital sigma becomes final sigma at the end of a word). Python's one-to-many mappings
// (U+0130 -> "i" + U+0307) stay one-to-one here; accent stripping makes them agree.
std::u32string PythonLower(std::u32string_view word);

// Canonical decomposition; `text` must be valid (decoded) code points.
std::u32string Nfd(std::u32string_view text);

}  // namespace soho::data::unicode
