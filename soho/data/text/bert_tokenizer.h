#pragma once
// The BERT WordPiece tokenizer, compatible with Hugging Face's BertTokenizer on a standard
// vocab.txt: special tokens written in the text ("[MASK]") are cut out first and kept
// whole, the rest goes through BasicTokenizer, then WordPiece per word, then [CLS] ... [SEP]
// framing with truncation and [PAD] padding. Returns plain std::vector<int>, not tensors:
// the batching code decides the tensor layout. Checked against a Python transcription (bert_tokenizer_reference_test).
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "soho/data/text/basic_tokenizer.h"
#include "soho/data/text/vocab.h"
#include "soho/data/text/wordpiece_tokenizer.h"

namespace soho::data {

// One encoded text of exactly max_length positions.
struct Encoding {
  std::vector<int> ids;             // [CLS] pieces... [SEP] [PAD]...
  std::vector<int> attention_mask;  // 1 for real tokens (incl. [CLS]/[SEP]), 0 for padding
  int length = 0;                   // number of real tokens (sum of attention_mask)
};

class BertTokenizer {
 public:
  // Loads `vocab_path`; errors name the file (missing, empty, no special tokens).
  static absl::StatusOr<std::unique_ptr<BertTokenizer>> Create(const std::string& vocab_path,
                                                               bool lower_case = true);
  static std::unique_ptr<BertTokenizer> FromVocab(Vocab vocab, bool lower_case = true);

  BertTokenizer(const BertTokenizer&) = delete;
  BertTokenizer& operator=(const BertTokenizer&) = delete;

  // WordPiece ids of `text`, without [CLS]/[SEP] framing.
  std::vector<int> TokenizeToIds(absl::string_view text) const;
  // The same as strings ("play", "##ing"), for debugging and tests.
  std::vector<std::string> Tokenize(absl::string_view text) const;

  // [CLS] + the first max_length-2 pieces + [SEP], then [PAD] up to max_length.
  // max_length must be >= 2 (CHECKed).
  Encoding Encode(absl::string_view text, int max_length) const;

  const Vocab& vocab() const { return vocab_; }
  int vocab_size() const { return vocab_.size(); }
  int pad_id() const { return vocab_.pad_id(); }
  int unk_id() const { return vocab_.unk_id(); }
  int cls_id() const { return vocab_.cls_id(); }
  int sep_id() const { return vocab_.sep_id(); }
  int mask_id() const { return vocab_.mask_id(); }

 private:
  BertTokenizer(Vocab vocab, bool lower_case);

  Vocab vocab_;
  BasicTokenizer basic_;
  WordpieceTokenizer wordpiece_;  // points at vocab_: the tokenizer is not copyable/movable
};

}  // namespace soho::data
