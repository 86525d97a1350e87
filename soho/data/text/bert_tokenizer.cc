#include "soho/data/text/bert_tokenizer.h"

#include <algorithm>
#include <iterator>

#include "soho/common/logging.h"
#include "soho/common/status_macros.h"

namespace soho::data {

BertTokenizer::BertTokenizer(Vocab vocab, bool lower_case)
    : vocab_(std::move(vocab)),
      basic_(lower_case, std::vector<std::string>(std::begin(kSpecialTokens), std::end(kSpecialTokens))),
      wordpiece_(&vocab_) {}

absl::StatusOr<std::unique_ptr<BertTokenizer>> BertTokenizer::Create(const std::string& vocab_path,
                                                                     bool lower_case) {
  SOHO_ASSIGN_OR_RETURN(Vocab vocab, Vocab::Load(vocab_path));
  return FromVocab(std::move(vocab), lower_case);
}

std::unique_ptr<BertTokenizer> BertTokenizer::FromVocab(Vocab vocab, bool lower_case) {
  return std::unique_ptr<BertTokenizer>(new BertTokenizer(std::move(vocab), lower_case));
}

std::vector<int> BertTokenizer::TokenizeToIds(absl::string_view text) const {
  std::vector<int> ids;
  const auto tokenize_words = [&](absl::string_view chunk) {
    for (const std::string& word : basic_.Tokenize(chunk)) wordpiece_.TokenizeWord(word, &ids);
  };
  // Hugging Face cuts special tokens out of the raw text before anything else, wherever
  // they stand ("a[MASK]b" is a, [MASK], b). None is a prefix of another, so the earliest
  // match is the only one.
  size_t start = 0;
  while (start < text.size()) {
    size_t at = absl::string_view::npos;
    absl::string_view special;
    for (const char* token : kSpecialTokens) {
      const size_t found = text.find(token, start);
      if (found < at) {
        at = found;
        special = token;
      }
    }
    if (at == absl::string_view::npos) break;
    tokenize_words(text.substr(start, at - start));
    ids.push_back(vocab_.IdOf(special));
    start = at + special.size();
  }
  tokenize_words(text.substr(start));
  return ids;
}

std::vector<std::string> BertTokenizer::Tokenize(absl::string_view text) const {
  std::vector<std::string> tokens;
  for (const int id : TokenizeToIds(text)) tokens.push_back(vocab_.TokenOf(id));
  return tokens;
}

Encoding BertTokenizer::Encode(absl::string_view text, int max_length) const {
  CHECK_GE(max_length, 2) << "max_length must leave room for [CLS] and [SEP]";
  const std::vector<int> pieces = TokenizeToIds(text);
  const int kept = std::min<int>(static_cast<int>(pieces.size()), max_length - 2);
  Encoding encoding;
  encoding.ids.reserve(max_length);
  encoding.ids.push_back(cls_id());
  encoding.ids.insert(encoding.ids.end(), pieces.begin(), pieces.begin() + kept);
  encoding.ids.push_back(sep_id());
  encoding.length = static_cast<int>(encoding.ids.size());
  encoding.ids.resize(max_length, pad_id());
  encoding.attention_mask.assign(max_length, 0);
  std::fill(encoding.attention_mask.begin(), encoding.attention_mask.begin() + encoding.length, 1);
  return encoding;
}

}  // namespace soho::data
