#pragma once
// Masked language modelling inputs, as BERT (and the reference's mask_tokens) make them:
// each maskable token (not special, not padding) is chosen with probability `prob`; a chosen
// token becomes [MASK] 80% of the time, a random token 10%, and stays unchanged 10%; its
// label is its original id. Labels are -100 (ignored by the loss) everywhere else.
#include <cstdint>
#include <vector>

#include "soho/data/rng.h"
#include "soho/data/text/vocab.h"

namespace soho::data {

inline constexpr int64_t kIgnoreLabel = -100;

class MlmMasker {
 public:
  // Random replacements are drawn uniformly from the vocabulary's ordinary tokens: not the
  // five specials, and not bracketed placeholders such as BERT's "[unused17]".
  MlmMasker(const Vocab& vocab, double prob);

  // Masks `ids[0, length)` in place and writes `labels[0, length)`.
  void Apply(int64_t* ids, int64_t* labels, int length, Rng* rng) const;

  const std::vector<int>& random_pool() const { return random_pool_; }

 private:
  std::vector<bool> special_;  // by id
  std::vector<int> random_pool_;
  int mask_id_;
  double prob_;
};

}  // namespace soho::data
