#include "soho/data/prepare/vqa_answer_normalizer.h"

#include <array>
#include <unordered_map>
#include <vector>

#include "soho/data/text/unicode.h"

namespace soho::data {
namespace {

// vqaEval.py's tables, verbatim (including its oddities, e.g. "somebody'd" -> "somebodyd").
const std::unordered_map<std::string, std::string>& Contractions() {
  static const auto* table = new std::unordered_map<std::string, std::string>{
      {"aint", "ain't"}, {"arent", "aren't"}, {"cant", "can't"}, {"couldve", "could've"},
      {"couldnt", "couldn't"}, {"couldn'tve", "couldn't've"}, {"couldnt've", "couldn't've"},
      {"didnt", "didn't"}, {"doesnt", "doesn't"}, {"dont", "don't"}, {"hadnt", "hadn't"},
      {"hadnt've", "hadn't've"}, {"hadn'tve", "hadn't've"}, {"hasnt", "hasn't"},
      {"havent", "haven't"}, {"hed", "he'd"}, {"hed've", "he'd've"}, {"he'dve", "he'd've"},
      {"hes", "he's"}, {"howd", "how'd"}, {"howll", "how'll"}, {"hows", "how's"},
      {"Id've", "I'd've"}, {"I'dve", "I'd've"}, {"Im", "I'm"}, {"Ive", "I've"},
      {"isnt", "isn't"}, {"itd", "it'd"}, {"itd've", "it'd've"}, {"it'dve", "it'd've"},
      {"itll", "it'll"}, {"let's", "let's"}, {"maam", "ma'am"}, {"mightnt", "mightn't"},
      {"mightnt've", "mightn't've"}, {"mightn'tve", "mightn't've"}, {"mightve", "might've"},
      {"mustnt", "mustn't"}, {"mustve", "must've"}, {"neednt", "needn't"}, {"notve", "not've"},
      {"oclock", "o'clock"}, {"oughtnt", "oughtn't"}, {"ow's'at", "'ow's'at"},
      {"'ows'at", "'ow's'at"}, {"'ow'sat", "'ow's'at"}, {"shant", "shan't"},
      {"shed've", "she'd've"}, {"she'dve", "she'd've"}, {"she's", "she's"},
      {"shouldve", "should've"}, {"shouldnt", "shouldn't"}, {"shouldnt've", "shouldn't've"},
      {"shouldn'tve", "shouldn't've"}, {"somebody'd", "somebodyd"},
      {"somebodyd've", "somebody'd've"}, {"somebody'dve", "somebody'd've"},
      {"somebodyll", "somebody'll"}, {"somebodys", "somebody's"}, {"someoned", "someone'd"},
      {"someoned've", "someone'd've"}, {"someone'dve", "someone'd've"},
      {"someonell", "someone'll"}, {"someones", "someone's"}, {"somethingd", "something'd"},
      {"somethingd've", "something'd've"}, {"something'dve", "something'd've"},
      {"somethingll", "something'll"}, {"thats", "that's"}, {"thered", "there'd"},
      {"thered've", "there'd've"}, {"there'dve", "there'd've"}, {"therere", "there're"},
      {"theres", "there's"}, {"theyd", "they'd"}, {"theyd've", "they'd've"},
      {"they'dve", "they'd've"}, {"theyll", "they'll"}, {"theyre", "they're"},
      {"theyve", "they've"}, {"twas", "'twas"}, {"wasnt", "wasn't"}, {"wed've", "we'd've"},
      {"we'dve", "we'd've"}, {"weve", "we've"}, {"werent", "weren't"}, {"whatll", "what'll"},
      {"whatre", "what're"}, {"whats", "what's"}, {"whatve", "what've"}, {"whens", "when's"},
      {"whered", "where'd"}, {"wheres", "where's"}, {"whereve", "where've"}, {"whod", "who'd"},
      {"whod've", "who'd've"}, {"who'dve", "who'd've"}, {"wholl", "who'll"}, {"whos", "who's"},
      {"whove", "who've"}, {"whyll", "why'll"}, {"whyre", "why're"}, {"whys", "why's"},
      {"wont", "won't"}, {"wouldve", "would've"}, {"wouldnt", "wouldn't"},
      {"wouldnt've", "wouldn't've"}, {"wouldn'tve", "wouldn't've"}, {"yall", "y'all"},
      {"yall'll", "y'all'll"}, {"y'allll", "y'all'll"}, {"yall'd've", "y'all'd've"},
      {"y'alld've", "y'all'd've"}, {"y'all'dve", "y'all'd've"}, {"youd", "you'd"},
      {"youd've", "you'd've"}, {"you'dve", "you'd've"}, {"youll", "you'll"},
      {"youre", "you're"}, {"youve", "you've"}};
  return *table;
}

const std::unordered_map<std::string, std::string>& NumberWords() {
  static const auto* table = new std::unordered_map<std::string, std::string>{
      {"none", "0"}, {"zero", "0"}, {"one", "1"}, {"two", "2"},   {"three", "3"}, {"four", "4"},
      {"five", "5"}, {"six", "6"},  {"seven", "7"}, {"eight", "8"}, {"nine", "9"}, {"ten", "10"}};
  return *table;
}

constexpr std::array<char, 21> kPunct = {';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+',
                                         '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'};

// The script's re.sub(..., re.UNICODE): re.UNICODE (32) lands in the `count` argument.
constexpr int kMaxPeriodsStripped = 32;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool HasCommaBetweenDigits(absl::string_view text) {
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == ',' && IsDigit(text[i - 1]) && IsDigit(text[i + 1])) return true;
  }
  return false;
}

void ReplaceAll(std::string* text, char from, absl::string_view to) {
  std::string out;
  out.reserve(text->size());
  for (const char c : *text) {
    if (c == from) {
      out.append(to.data(), to.size());
    } else {
      out.push_back(c);
    }
  }
  *text = std::move(out);
}

// Python's str.split(): runs of whitespace separate, no empty fields.
std::vector<std::u32string> SplitOnWhitespace(const std::u32string& text) {
  std::vector<std::u32string> words;
  std::u32string word;
  for (const char32_t c : text) {
    if (unicode::IsPythonSpace(c)) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::u32string StripPythonSpace(const std::u32string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && unicode::IsPythonSpace(text[begin])) ++begin;
  while (end > begin && unicode::IsPythonSpace(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

}  // namespace

std::string VqaProcessPunctuation(absl::string_view text) {
  const bool comma_between_digits = HasCommaBetweenDigits(text);
  std::string out(text);
  for (const char p : kPunct) {
    const std::string before = std::string(1, p) + " ", after = " " + std::string(1, p);
    const bool remove = text.find(before) != absl::string_view::npos ||
                        text.find(after) != absl::string_view::npos || comma_between_digits;
    ReplaceAll(&out, p, remove ? "" : " ");
  }
  std::string stripped;
  stripped.reserve(out.size());
  int removed = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const bool followed_by_digit = i + 1 < out.size() && IsDigit(out[i + 1]);
    if (out[i] == '.' && !followed_by_digit && removed < kMaxPeriodsStripped) {
      ++removed;
      continue;
    }
    stripped.push_back(out[i]);
  }
  return stripped;
}

std::string VqaProcessDigitArticle(absl::string_view text) {
  std::u32string lowered = unicode::DecodeUtf8(text);
  for (char32_t& c : lowered) c = unicode::ToLower(c);
  std::string out;
  for (const std::u32string& word32 : SplitOnWhitespace(lowered)) {
    std::string word = unicode::EncodeUtf8(word32);
    if (const auto it = NumberWords().find(word); it != NumberWords().end()) word = it->second;
    if (word == "a" || word == "an" || word == "the") continue;
    if (const auto it = Contractions().find(word); it != Contractions().end()) word = it->second;
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

std::string VqaCleanWhitespace(absl::string_view text) {
  std::string out(text);
  ReplaceAll(&out, '\n', " ");
  ReplaceAll(&out, '\t', " ");
  return unicode::EncodeUtf8(StripPythonSpace(unicode::DecodeUtf8(out)));
}

std::string NormalizeVqaAnswer(absl::string_view answer) {
  return VqaProcessDigitArticle(VqaProcessPunctuation(VqaCleanWhitespace(answer)));
}

}  // namespace soho::data
