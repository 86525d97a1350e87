#include "soho/data/text/vocab.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "soho/common/file_util.h"
#include "soho/common/status_macros.h"

namespace soho::data {

absl::StatusOr<Vocab> Vocab::Load(const std::string& path) {
  SOHO_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  std::vector<std::string> tokens = absl::StrSplit(text, '\n');
  if (!tokens.empty() && tokens.back().empty()) tokens.pop_back();  // final newline
  for (std::string& token : tokens) {
    if (!token.empty() && token.back() == '\r') token.pop_back();  // CRLF files
  }
  return FromTokens(std::move(tokens), path);
}

absl::StatusOr<Vocab> Vocab::FromTokens(std::vector<std::string> tokens,
                                        const std::string& source) {
  if (tokens.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": empty vocabulary"));
  Vocab vocab;
  vocab.ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) vocab.ids_[tokens[i]] = static_cast<int>(i);
  vocab.tokens_ = std::move(tokens);
  std::vector<std::string> missing;
  for (auto [token, id] : {std::pair{kPadToken, &vocab.pad_id_}, {kUnkToken, &vocab.unk_id_},
                           {kClsToken, &vocab.cls_id_}, {kSepToken, &vocab.sep_id_},
                           {kMaskToken, &vocab.mask_id_}}) {
    *id = vocab.IdOf(token);
    if (*id < 0) missing.push_back(token);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": not a BERT vocabulary: missing special token(s) ", absl::StrJoin(missing, ", ")));
  }
  return vocab;
}

int Vocab::IdOf(absl::string_view token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

bool Vocab::IsSpecial(int id) const {
  return id == pad_id_ || id == unk_id_ || id == cls_id_ || id == sep_id_ || id == mask_id_;
}

}  // namespace soho::data
