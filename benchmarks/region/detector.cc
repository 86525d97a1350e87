#include "benchmarks/region/detector.h"

#include <algorithm>
#include <vector>

#include "benchmarks/region/nms.h"

namespace soho::bench::region {
namespace {

model::ResNetOptions C4TrunkOptions(int depth) {
  model::ResNetOptions options;
  options.depth = depth;
  options.frozen_stages = 0;
  options.out_stages = {3};  // forward() stops after layer3; layer4 is the RoI head
  // zero_init_residual stays on (fresh weights as the model makes them): random residual
  // branches with untrained BatchNorm statistics would grow the activations to inf over
  // ResNet-101's 33 blocks. The convolutions cost the same either way.
  return options;
}

}  // namespace

RegionDetectorImpl::RegionDetectorImpl(const RegionDetectorOptions& options) : options_(options) {
  backbone = register_module("backbone", model::ResNet(C4TrunkOptions(options.backbone_depth)));
  rpn = register_module("rpn", Rpn(backbone->stage_channels(3), options.rpn));
  BoxPredictorOptions predictor_options = options.predictor;
  predictor_options.in_features = backbone->stage_channels(4);
  predictor = register_module("predictor", BoxPredictor(predictor_options));
}

RegionFeatures RegionDetectorImpl::forward(const at::Tensor& images, int64_t image_height, int64_t image_width,
                                           StageClock* clock) {
  const int64_t batch = images.size(0);
  const at::Tensor c4 = backbone->forward(images).front();
  MarkStage(clock, "c4_backbone");

  const std::vector<at::Tensor> proposals = rpn->forward(c4, image_height, image_width);
  MarkStage(clock, "rpn");

  std::vector<at::Tensor> rois;
  for (int64_t i = 0; i < batch; ++i) {
    rois.push_back(at::cat({at::full({proposals[i].size(0), 1}, static_cast<double>(i), c4.options()), proposals[i]}, 1));
  }
  const at::Tensor pooled = RoiAlign(c4, at::cat(rois, 0), options_.roi_align);
  MarkStage(clock, "roi_align");

  const at::Tensor features = backbone->layer4->forward(pooled).mean({2, 3});  // [R, 2048]
  const BoxPredictions predictions = predictor->forward(features);
  MarkStage(clock, "res5_head");

  // Per image: per-class NMS over the object classes (background excluded), then selection.
  const at::Tensor probabilities = predictions.class_logits.softmax(1);
  std::vector<at::Tensor> kept_features, kept_boxes;
  int64_t offset = 0;
  int64_t most = 0;
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t count = proposals[i].size(0);
    const at::Tensor scores = probabilities.narrow(0, offset, count).slice(1, 1);
    const at::Tensor confidence = MaxScoreAfterClassNms(proposals[i], scores, options_.class_nms_threshold);
    const at::Tensor keep =
        SelectRegions(confidence, options_.conf_threshold, options_.min_boxes, options_.max_boxes);
    kept_features.push_back(features.narrow(0, offset, count).index_select(0, keep));
    kept_boxes.push_back(proposals[i].index_select(0, keep));
    most = std::max(most, keep.size(0));
    offset += count;
  }
  RegionFeatures out;
  out.features = at::zeros({batch, most, features.size(1)}, features.options());
  out.boxes = at::zeros({batch, most, 4}, features.options());
  out.mask = at::zeros({batch, most}, features.options());
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t k = kept_features[i].size(0);
    out.features[i].narrow(0, 0, k).copy_(kept_features[i]);
    out.boxes[i].narrow(0, 0, k).copy_(kept_boxes[i]);
    out.mask[i].narrow(0, 0, k).fill_(1);
  }
  MarkStage(clock, "class_nms");
  return out;
}

}  // namespace soho::bench::region
