#include "benchmarks/region/nms.h"

#include <algorithm>
#include <vector>

#include "benchmarks/region/boxes.h"

namespace soho::bench::region {

at::Tensor Nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold, int64_t max_keep,
               int64_t block) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "boxes must be [N, 4]");
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), "scores must be [N]");
  TORCH_CHECK(block > 0, "block must be positive");
  const int64_t n = boxes.size(0);
  const at::Tensor order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  const at::Tensor sorted = boxes.index_select(0, order);
  const int64_t limit = max_keep > 0 ? max_keep : n;

  std::vector<int64_t> kept;  // positions in `sorted`
  at::Tensor kept_boxes = sorted.narrow(0, 0, 0);
  for (int64_t start = 0; start < n && static_cast<int64_t>(kept.size()) < limit; start += block) {
    const int64_t len = std::min(block, n - start);
    const at::Tensor chunk = sorted.narrow(0, start, len);
    // Column j < len: chunk box i overlaps chunk box j; last column: i overlaps a kept box.
    at::Tensor overlaps = PairwiseIou(chunk, chunk).gt(iou_threshold);
    const at::Tensor by_kept = kept_boxes.size(0) > 0
                                   ? PairwiseIou(chunk, kept_boxes).gt(iou_threshold).any(1, /*keepdim=*/true)
                                   : at::zeros({len, 1}, overlaps.options());
    const at::Tensor host = at::cat({overlaps, by_kept}, 1).to(at::kCPU).contiguous();
    const bool* data = host.data_ptr<bool>();
    const int64_t stride = len + 1;

    std::vector<char> removed(len);
    for (int64_t i = 0; i < len; ++i) removed[i] = data[i * stride + len];
    std::vector<int64_t> chunk_kept;
    for (int64_t i = 0; i < len && static_cast<int64_t>(kept.size()) < limit; ++i) {
      if (removed[i]) continue;
      kept.push_back(start + i);
      chunk_kept.push_back(i);
      const bool* row = data + i * stride;
      for (int64_t j = i + 1; j < len; ++j) removed[j] |= row[j];
    }
    if (!chunk_kept.empty()) {
      const at::Tensor local = at::tensor(chunk_kept, at::kLong).to(boxes.device());
      kept_boxes = at::cat({kept_boxes, chunk.index_select(0, local)}, 0);
    }
  }
  return order.index_select(0, at::tensor(kept, at::kLong).to(boxes.device()));
}

at::Tensor MaxScoreAfterClassNms(const at::Tensor& boxes, const at::Tensor& class_scores, double iou_threshold) {
  TORCH_CHECK(class_scores.dim() == 2 && class_scores.size(0) == boxes.size(0), "class_scores must be [R, C]");
  const int64_t num_boxes = boxes.size(0);
  const int64_t num_classes = class_scores.size(1);
  const at::Tensor overlaps = PairwiseIou(boxes, boxes).gt(iou_threshold).to(at::kCPU).contiguous();
  // Per class, boxes by decreasing score: [C, R] (sorted on the device, all classes at once).
  const at::Tensor order =
      std::get<1>(class_scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true)).t().to(at::kCPU).contiguous();
  const at::Tensor scores = class_scores.to(at::kCPU, at::kFloat).contiguous();

  // Neighbour lists: each box's suppression victims, so a kept box costs O(its overlaps).
  const bool* overlap = overlaps.data_ptr<bool>();
  std::vector<std::vector<int64_t>> neighbours(num_boxes);
  for (int64_t i = 0; i < num_boxes; ++i) {
    for (int64_t j = 0; j < num_boxes; ++j) {
      if (j != i && overlap[i * num_boxes + j]) neighbours[i].push_back(j);
    }
  }
  const int64_t* order_data = order.data_ptr<int64_t>();
  const float* score = scores.data_ptr<float>();
  std::vector<float> best(num_boxes, 0.0f);
  std::vector<char> removed(num_boxes);
  for (int64_t c = 0; c < num_classes; ++c) {
    std::fill(removed.begin(), removed.end(), 0);
    for (int64_t k = 0; k < num_boxes; ++k) {
      const int64_t i = order_data[c * num_boxes + k];
      if (removed[i]) continue;
      best[i] = std::max(best[i], score[i * num_classes + c]);
      for (const int64_t j : neighbours[i]) removed[j] = 1;
    }
  }
  return at::tensor(best, at::kFloat).to(class_scores.options());
}

at::Tensor SelectRegions(const at::Tensor& confidence, double conf_threshold, int64_t min_boxes, int64_t max_boxes) {
  TORCH_CHECK(min_boxes <= max_boxes, "min_boxes must be <= max_boxes");
  const at::Tensor passing = confidence.ge(conf_threshold).nonzero().view(-1);
  const int64_t count = passing.size(0);
  if (count >= min_boxes && count <= max_boxes) return passing;
  const int64_t take = std::min(count < min_boxes ? min_boxes : max_boxes, confidence.size(0));
  return std::get<1>(confidence.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true)).narrow(0, 0, take);
}

}  // namespace soho::bench::region
