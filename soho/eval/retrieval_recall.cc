#include "soho/eval/retrieval_recall.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace soho::eval {
namespace {

// 0-based rank of candidate `right` among `n` candidates scored score(c): those scored
// higher, and those scored equal with a lower index, come first.
template <typename Score>
int64_t RankOf(int64_t right, int64_t n, Score score) {
  const float s = score(right);
  int64_t rank = 0;
  for (int64_t c = 0; c < n; ++c) {
    if (c == right) continue;
    const float other = score(c);
    if (other > s || (other == s && c < right)) ++rank;
  }
  return rank;
}

// Percent of `ranks` below each k.
std::vector<double> RecallFromRanks(const std::vector<int64_t>& ranks, const std::vector<int>& ks) {
  std::vector<double> recall;
  for (const int k : ks) {
    const auto hits = std::count_if(ranks.begin(), ranks.end(), [k](int64_t r) { return r < k; });
    recall.push_back(100.0 * static_cast<double>(hits) / static_cast<double>(ranks.size()));
  }
  return recall;
}

}  // namespace

absl::StatusOr<RetrievalRecall> ComputeRetrievalRecall(const std::vector<float>& scores, int64_t num_images,
                                                       const std::vector<int64_t>& text_image,
                                                       const std::vector<int>& ks) {
  const int64_t num_texts = static_cast<int64_t>(text_image.size());
  if (num_images < 1 || num_texts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("retrieval needs images and texts, got ", num_images, " images and ", num_texts, " texts"));
  }
  if (static_cast<int64_t>(scores.size()) != num_images * num_texts) {
    return absl::InvalidArgumentError(absl::StrCat("score matrix has ", scores.size(), " entries, expected ",
                                                   num_images, " images x ", num_texts, " texts"));
  }
  for (const int k : ks) {
    if (k < 1) return absl::InvalidArgumentError(absl::StrCat("recall@k needs k >= 1, got ", k));
  }
  for (size_t e = 0; e < scores.size(); ++e) {
    if (!std::isfinite(scores[e])) {
      return absl::InvalidArgumentError(absl::StrCat("score of image ", e / num_texts, " and text ", e % num_texts,
                                                     " is not finite (", scores[e], ")"));
    }
  }
  std::vector<std::vector<int64_t>> texts_of(num_images);
  for (int64_t t = 0; t < num_texts; ++t) {
    if (text_image[t] < 0 || text_image[t] >= num_images) {
      return absl::InvalidArgumentError(absl::StrCat("text ", t, " describes image ", text_image[t], ", not one of the ",
                                                     num_images, " images"));
    }
    texts_of[text_image[t]].push_back(t);
  }
  for (int64_t i = 0; i < num_images; ++i) {
    if (texts_of[i].empty()) return absl::InvalidArgumentError(absl::StrCat("image ", i, " has no text"));
  }
  auto score = [&](int64_t image, int64_t text) { return scores[image * num_texts + text]; };

  std::vector<int64_t> text_ranks(num_texts);
  for (int64_t t = 0; t < num_texts; ++t) {
    text_ranks[t] = RankOf(text_image[t], num_images, [&](int64_t i) { return score(i, t); });
  }
  std::vector<int64_t> image_ranks(num_images, std::numeric_limits<int64_t>::max());
  for (int64_t i = 0; i < num_images; ++i) {
    for (const int64_t t : texts_of[i]) {
      image_ranks[i] = std::min(image_ranks[i], RankOf(t, num_texts, [&](int64_t u) { return score(i, u); }));
    }
  }
  RetrievalRecall recall;
  recall.ks = ks;
  recall.num_images = num_images;
  recall.num_texts = num_texts;
  recall.text_to_image = RecallFromRanks(text_ranks, ks);
  recall.image_to_text = RecallFromRanks(image_ranks, ks);
  return recall;
}

std::string FormatRetrievalRecall(const RetrievalRecall& recall) {
  std::string t2i, i2t;
  for (size_t j = 0; j < recall.ks.size(); ++j) {
    absl::StrAppendFormat(&t2i, " R@%d %.2f", recall.ks[j], recall.text_to_image[j]);
    absl::StrAppendFormat(&i2t, " R@%d %.2f", recall.ks[j], recall.image_to_text[j]);
  }
  return absl::StrCat("text->image", t2i, " | image->text", i2t, " (", recall.num_images, " images, ",
                      recall.num_texts, " texts)");
}

}  // namespace soho::eval
