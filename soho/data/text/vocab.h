#pragma once
// A BERT vocabulary (`vocab.txt`: one token per line, the id is the 0-based line number) with
// the ids of the special tokens the model and the datasets need.
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace soho::data {

inline constexpr char kPadToken[] = "[PAD]";
inline constexpr char kUnkToken[] = "[UNK]";
inline constexpr char kClsToken[] = "[CLS]";
inline constexpr char kSepToken[] = "[SEP]";
inline constexpr char kMaskToken[] = "[MASK]";
// Hugging Face's all_special_tokens for BERT: never split or lower-cased by the tokenizer.
inline constexpr const char* kSpecialTokens[] = {kUnkToken, kSepToken, kPadToken, kClsToken, kMaskToken};

class Vocab {
 public:
  // Reads `path`. Errors name the file: missing or unreadable, empty, or lacking one of
  // [PAD], [UNK], [CLS], [SEP], [MASK]. A token listed twice maps to its last line, as in
  // Hugging Face's load_vocab.
  static absl::StatusOr<Vocab> Load(const std::string& path);
  // Same from a token list (`source` names it in errors).
  static absl::StatusOr<Vocab> FromTokens(std::vector<std::string> tokens,
                                          const std::string& source);

  // Number of ids (lines): the model's word-embedding table needs at least this many rows.
  int size() const { return static_cast<int>(tokens_.size()); }
  // -1 when absent.
  int IdOf(absl::string_view token) const;
  bool Contains(absl::string_view token) const { return IdOf(token) >= 0; }
  const std::string& TokenOf(int id) const { return tokens_.at(id); }
  const std::vector<std::string>& tokens() const { return tokens_; }

  int pad_id() const { return pad_id_; }
  int unk_id() const { return unk_id_; }
  int cls_id() const { return cls_id_; }
  int sep_id() const { return sep_id_; }
  int mask_id() const { return mask_id_; }
  // True for the five special tokens above (MLM never masks or predicts them).
  bool IsSpecial(int id) const;

 private:
  std::vector<std::string> tokens_;
  absl::flat_hash_map<std::string, int> ids_;
  int pad_id_ = -1, unk_id_ = -1, cls_id_ = -1, sep_id_ = -1, mask_id_ = -1;
};

}  // namespace soho::data
