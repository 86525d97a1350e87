#include "soho/data/mlm_masking.h"

#include "soho/common/logging.h"

namespace soho::data {

MlmMasker::MlmMasker(const Vocab& vocab, double prob) : mask_id_(vocab.mask_id()), prob_(prob) {
  special_.resize(vocab.size());
  for (int id = 0; id < vocab.size(); ++id) {
    const std::string& token = vocab.TokenOf(id);
    const bool placeholder = token.size() > 2 && token.front() == '[' && token.back() == ']';
    special_[id] = vocab.IsSpecial(id);
    if (!special_[id] && !placeholder) random_pool_.push_back(id);
  }
  CHECK(!random_pool_.empty()) << "the vocabulary has no ordinary tokens";
}

void MlmMasker::Apply(int64_t* ids, int64_t* labels, int length, Rng* rng) const {
  for (int i = 0; i < length; ++i) {
    const int64_t id = ids[i];
    const bool maskable = id >= 0 && id < static_cast<int64_t>(special_.size()) && !special_[id];
    if (!maskable || !rng->Bernoulli(prob_)) {
      labels[i] = kIgnoreLabel;
      continue;
    }
    labels[i] = id;
    const double r = rng->Uniform();
    if (r < 0.8) {
      ids[i] = mask_id_;
    } else if (r < 0.9) {
      ids[i] = random_pool_[rng->UniformInt(random_pool_.size())];
    }  // else: unchanged
  }
}

}  // namespace soho::data
