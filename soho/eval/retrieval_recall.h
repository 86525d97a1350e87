#pragma once
// Image-text retrieval recall (Recall@K, as in the SOHO paper's retrieval tables) from a
// score matrix. Pure C++: no model, no torch.
//
// text -> image: each text queries the images; a hit at K when the image it describes is
//                among the K best-scored images. Averaged over texts.
// image -> text: each image queries the texts; a hit at K when any of its texts is among the
//                K best-scored texts. Averaged over images.
// Ties: a candidate scored equal to the right one ranks before it when its index is lower
// (a deterministic, stable order), so ties never make a hit out of a miss by luck.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace soho::eval {

struct RetrievalRecall {
  std::vector<int> ks;
  std::vector<double> text_to_image;  // percent, one per k
  std::vector<double> image_to_text;  // percent, one per k
  int64_t num_images = 0;
  int64_t num_texts = 0;
};

// scores: row-major [num_images, num_texts], scores[i * num_texts + t] = how well text t
// matches image i (higher is better). text_image[t] = the image text t describes.
// Errors: a matrix of the wrong size, a non-finite score, a text of no image, an image
// without texts, a k < 1.
absl::StatusOr<RetrievalRecall> ComputeRetrievalRecall(const std::vector<float>& scores, int64_t num_images,
                                                       const std::vector<int64_t>& text_image,
                                                       const std::vector<int>& ks = {1, 5, 10});

// "text->image R@1 12.50 R@5 ... | image->text R@1 ..." for logs and tables.
std::string FormatRetrievalRecall(const RetrievalRecall& recall);

}  // namespace soho::eval
