#pragma once
// Greedy non-maximum suppression, the real algorithm (not an approximation): visit boxes by
// decreasing score, keep a box unless a box kept before it overlaps it with IoU above the
// threshold. Device-agnostic: IoUs are computed with tensor ops on the boxes' device in
// blocks, and only the block's boolean overlap matrix goes to the host for the sequential
// scan (what GPU NMS kernels do with their bit masks).
#include <ATen/ATen.h>

#include <cstdint>

namespace soho::bench::region {

// Indices (int64, into `boxes`) of the kept boxes in decreasing score order. `boxes` [N, 4],
// `scores` [N]. With max_keep > 0 the scan stops after that many boxes are kept, which gives
// exactly the first max_keep boxes of a full NMS. `block` is the number of boxes whose
// overlaps are computed per host round trip.
at::Tensor Nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold, int64_t max_keep = 0,
               int64_t block = 128);

// Bottom-up attention's per-class NMS for feature extraction: for every class c (a column
// of `class_scores` [R, C]), greedy NMS of all R boxes by that class's scores; a box kept for
// class c has a candidate confidence class_scores[r, c]. Returns each box's best confidence
// over the classes that kept it ([R], 0 for a box no class kept). The R x R overlaps are
// shared by every class (the boxes are the same), so they are computed once.
at::Tensor MaxScoreAfterClassNms(const at::Tensor& boxes, const at::Tensor& class_scores, double iou_threshold);

// Bottom-up attention's choice of regions: the boxes whose confidence is >= conf_threshold;
// when fewer than min_boxes (more than max_boxes) pass, the top min_boxes (max_boxes) by
// confidence instead. min_boxes == max_boxes gives a fixed number of regions. Indices int64.
at::Tensor SelectRegions(const at::Tensor& confidence, double conf_threshold, int64_t min_boxes, int64_t max_boxes);

}  // namespace soho::bench::region
