#include "soho/data/text/unicode.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "utf8proc.h"

namespace soho::data::unicode {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

utf8proc_category_t Category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

// Runs a utf8proc normalization that returns a malloc'ed NUL-terminated string.
std::u32string Normalize(std::u32string_view text, utf8proc_option_t options) {
  const std::string utf8 = EncodeUtf8(text);
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                   static_cast<utf8proc_ssize_t>(utf8.size()), &out, options);
  if (n < 0) return std::u32string(text);  // cannot happen for valid code points
  std::u32string result = DecodeUtf8(absl::string_view(reinterpret_cast<const char*>(out), n));
  std::free(out);
  return result;
}

}  // namespace

bool IsUtf8Text(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  for (utf8proc_ssize_t pos = 0; pos < size;) {
    utf8proc_int32_t c = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(bytes + pos, size - pos, &c);
    if (n <= 0 || c == 0) return false;
    pos += n;
  }
  return true;
}

std::u32string DecodeUtf8(absl::string_view text) {
  std::u32string result;
  result.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t pos = 0;
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  while (pos < size) {
    utf8proc_int32_t c = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(bytes + pos, size - pos, &c);
    if (n <= 0) {  // invalid sequence: replace one byte and resynchronize
      result.push_back(kReplacement);
      ++pos;
      continue;
    }
    result.push_back(static_cast<char32_t>(c));
    pos += n;
  }
  return result;
}

std::string EncodeUtf8(char32_t code_point) {
  utf8proc_uint8_t buffer[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), buffer);
  return std::string(reinterpret_cast<const char*>(buffer), n);
}

std::string EncodeUtf8(std::u32string_view code_points) {
  std::string result;
  result.reserve(code_points.size());
  for (const char32_t c : code_points) result += EncodeUtf8(c);
  return result;
}

bool IsWhitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Category(c) == UTF8PROC_CATEGORY_ZS;
}

bool IsControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

bool IsPunctuation(char32_t c) {
  // BERT treats every ASCII non-letter/digit symbol as punctuation ("$", "^", "`", ...),
  // although Unicode files some of them under S* categories.
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126)) {
    return true;
  }
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool IsCjk(char32_t c) {
  // The CJK Unified Ideographs blocks that BERT's tokenizer lists (not Hangul or kana,
  // which are written with spaces).
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool IsNonspacingMark(char32_t c) { return Category(c) == UTF8PROC_CATEGORY_MN; }

bool IsSplitSpace(char32_t c) {
  return c == ' ' || Category(c) == UTF8PROC_CATEGORY_ZL || Category(c) == UTF8PROC_CATEGORY_ZP;
}

bool IsPythonSpace(char32_t c) {
  if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85) return true;
  const utf8proc_category_t category = Category(c);
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
         category == UTF8PROC_CATEGORY_ZP;
}

char32_t ToLower(char32_t c) {
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
}

namespace {

// Unicode's Cased property: Lu, Ll, Lt, anything with a case mapping (circled letters,
// Roman numerals), and the Other_Lowercase characters without one (utf8proc has no Cased
// property, so these few ranges of DerivedCoreProperties.txt are listed here).
bool IsCased(char32_t c) {
  const utf8proc_category_t category = Category(c);
  if (category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
      category == UTF8PROC_CATEGORY_LT) {
    return true;
  }
  const auto cp = static_cast<utf8proc_int32_t>(c);
  if (utf8proc_tolower(cp) != cp || utf8proc_toupper(cp) != cp) return true;
  static constexpr char32_t kOtherLowercase[][2] = {
      {0x00AA, 0x00AA}, {0x00BA, 0x00BA}, {0x02B0, 0x02B8}, {0x02C0, 0x02C1}, {0x02E0, 0x02E4},
      {0x0345, 0x0345}, {0x037A, 0x037A}, {0x10FC, 0x10FC}, {0x1D2C, 0x1D6A}, {0x1D78, 0x1D78},
      {0x1D9B, 0x1DBF}, {0x2071, 0x2071}, {0x207F, 0x207F}, {0x2090, 0x209C}, {0x2C7C, 0x2C7D},
      {0xA69C, 0xA69D}, {0xA770, 0xA770}, {0xA7F2, 0xA7F4}, {0xA7F8, 0xA7F9}, {0xAB5C, 0xAB5F},
      {0xAB69, 0xAB69}, {0x10780, 0x10780}, {0x10783, 0x10785}, {0x10787, 0x107B0},
      {0x107B2, 0x107BA}, {0x1E030, 0x1E06D}};
  for (const auto& range : kOtherLowercase) {
    if (c >= range[0] && c <= range[1]) return true;
  }
  return false;
}

// Unicode's Case_Ignorable property: marks, format characters, modifiers, and the word-
// internal punctuation of Word_Break MidLetter / MidNumLet / Single_Quote.
bool IsCaseIgnorable(char32_t c) {
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
      return true;
    default:
      break;
  }
  static constexpr char32_t kWordInternal[] = {'\'', '.', ':', 0x00B7, 0x0387, 0x055F, 0x05F4,
                                               0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52,
                                               0xFE55, 0xFF07, 0xFF0E, 0xFF1A};
  return std::find(std::begin(kWordInternal), std::end(kWordInternal), c) != std::end(kWordInternal);
}

}  // namespace

std::u32string PythonLower(std::u32string_view word) {
  constexpr char32_t kCapitalSigma = 0x03A3, kSmallSigma = 0x03C3, kFinalSigma = 0x03C2;
  std::u32string lowered(word);
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] != kCapitalSigma) {
      lowered[i] = ToLower(word[i]);
      continue;
    }
    // Final_Sigma: a cased letter before (skipping case-ignorables), none after.
    size_t before = i;
    while (before > 0 && IsCaseIgnorable(word[before - 1])) --before;
    size_t after = i + 1;
    while (after < word.size() && IsCaseIgnorable(word[after])) ++after;
    const bool final = before > 0 && IsCased(word[before - 1]) &&
                       !(after < word.size() && IsCased(word[after]));
    lowered[i] = final ? kFinalSigma : kSmallSigma;
  }
  return lowered;
}

std::u32string Nfd(std::u32string_view text) {
  return Normalize(text, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE));
}

}  // namespace soho::data::unicode
