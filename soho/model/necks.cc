#include "soho/model/necks.h"

#include <ATen/ATen.h>

#include "soho/model/grid_mask.h"
#include "soho/model/position_encoding.h"

namespace soho::model {
namespace {

namespace nn = torch::nn;

constexpr int64_t kIgnoreLabel = -100;

// Shared front: 2x2/2 max-pool, repeat per caption, 1x1 conv + BN. Pooling before the
// repeat is the same as the reference's repeat-then-pool, on 1/group of the data.
at::Tensor PoolAndProject(const at::Tensor& c5, int64_t group, ConvModule& conv) {
  at::Tensor x = at::max_pool2d(c5, {2, 2}, {2, 2});
  if (group > 1) x = x.repeat_interleave(group, 0);
  return conv(x);
}

// Grid valid mask [N, h, w] for the (repeated) batch.
at::Tensor GridMaskFor(const ImageGeometry& geometry, int64_t group, int64_t h, int64_t w) {
  at::Tensor valid_hw = geometry.valid_hw;
  if (group > 1) valid_hw = valid_hw.repeat_interleave(group, 0);
  return GridValidMask(valid_hw, geometry.padded_h, geometry.padded_w, h, w);
}

// x [N, C, h, w] + position code -> LayerNorm over channels -> tokens [N, h*w, C].
at::Tensor ToTokens(const at::Tensor& x, const at::Tensor& grid_mask, nn::LayerNorm& ln) {
  const int64_t n = x.size(0), c = x.size(1);
  // Added in float32, as the reference's autocast runs do: under bf16 autocast the sum (and
  // the LayerNorm after it) stays float32 instead of mixing dtypes.
  const at::Tensor with_position = x + SinePositionEncoding(grid_mask, c);
  // Channels last, then one copy into the token layout.
  return ln(with_position.permute({0, 2, 3, 1})).reshape({n, -1, c});
}

}  // namespace

NeckOptions NeckOptions::FromProto(const proto::NeckConfig& config, int64_t in_channels) {
  NeckOptions options;
  options.in_channels = in_channels;
  options.out_channels = config.out_channels();
  options.with_gate = config.kind() == proto::NeckConfig::PRETRAIN_GATE;
  options.dictionary.num_tokens = config.dict_size();
  options.dictionary.dim = config.out_channels();
  options.dictionary.decay = config.decay();
  options.dictionary.max_decay = config.max_decay();
  options.dictionary.decay_ramp = config.decay_ramp();
  options.dictionary.eps = config.dict_eps();
  options.mask_prob = config.mask_prob();
  options.layer_norm_eps = config.layer_norm_eps();
  return options;
}

at::Tensor SelectMaskedCells(const at::Tensor& labels, const at::Tensor& valid, int64_t position,
                             const at::Tensor& sample_selected) {
  const int64_t w = labels.size(2);
  const at::Tensor chosen = labels.select(2, position % w).select(1, position / w);  // [N]
  return labels.eq(chosen.view({-1, 1, 1}))
      .logical_and(valid)
      .logical_and(sample_selected.view({-1, 1, 1}).to(at::kBool));
}

PretrainNeckImpl::PretrainNeckImpl(const NeckOptions& options,
                                   std::shared_ptr<Collective> collective)
    : options_(options) {
  const int64_t c = options.out_channels;
  TORCH_CHECK(options.dictionary.dim == c, "dictionary dim ", options.dictionary.dim,
              " must equal the neck's out_channels ", c);
  // Registered in the reference's order, so state_dicts list keys alike.
  conv = register_module("conv", ConvModule(options.in_channels, c, 1));
  ln = register_module("ln", nn::LayerNorm(nn::LayerNormOptions({c}).eps(options.layer_norm_eps)));
  mask_emb = register_module("mask_emb", nn::Embedding(1, c));
  vq = register_module("vq", VisualDictionary(options.dictionary, std::move(collective)));
  if (options.with_gate) gate_fc = register_module("gate_fc", ConvModule(2 * c, 2, 1));
  pos_line = register_module("pos_line", nn::Linear(c, c));
}

void PretrainNeckImpl::SetBatchNormFn(const BatchNormFn& fn) {
  conv->SetBatchNormFn(fn);
  if (gate_fc) gate_fc->SetBatchNormFn(fn);
}

VisualTokens PretrainNeckImpl::forward(const at::Tensor& c5, const ImageGeometry& geometry,
                                       int64_t group) {
  const at::Tensor xq = PoolAndProject(c5, group, conv);  // [N, C, h, w]
  const int64_t n = xq.size(0), c = xq.size(1), h = xq.size(2), w = xq.size(3);

  // The dictionary works on rows [N*h*w, C] (channels last).
  VisualDictionaryImpl::Output quantized = vq(xq.permute({0, 2, 3, 1}).reshape({-1, c}));
  const at::Tensor projected = pos_line(quantized.quantized).view({n, h, w, c}).permute({0, 3, 1, 2});

  at::Tensor v;
  if (gate_fc) {
    const at::Tensor scores = at::softmax(gate_fc(at::cat({projected, xq}, 1)), 1);
    v = projected * scores.narrow(1, 0, 1) + xq * scores.narrow(1, 1, 1);
  } else {
    v = projected + xq;
  }

  const at::Tensor grid_mask = GridMaskFor(geometry, group, h, w);  // [N, h, w] bool
  const at::Tensor indices = quantized.indices.view({n, h, w});
  at::Tensor labels = at::full({n, h, w}, kIgnoreLabel, indices.options());
  if (is_training() && options_.mask_prob > 0) {
    // One random cell for the whole batch, drawn on the CPU generator: a host integer, so
    // no device synchronization.
    const int64_t position = at::randint(h * w, {1}, at::kLong).item<int64_t>();
    const at::Tensor selected = at::bernoulli(at::full({n}, options_.mask_prob, v.options()));
    const at::Tensor cell_labels = at::where(grid_mask, indices, at::scalar_tensor(kIgnoreLabel, indices.options()));
    const at::Tensor masked = SelectMaskedCells(cell_labels, grid_mask, position, selected);
    v = at::where(masked.unsqueeze(1), mask_emb->weight.view({1, c, 1, 1}), v);
    labels = at::where(masked, indices, labels);
  }
  return {ToTokens(v, grid_mask, ln), grid_mask.view({n, -1}).to(at::kLong), labels.view({n, -1})};
}

VqaNeckImpl::VqaNeckImpl(const NeckOptions& options) : options_(options) {
  conv = register_module("conv", ConvModule(options.in_channels, options.out_channels, 1));
  ln = register_module("ln", nn::LayerNorm(nn::LayerNormOptions({options.out_channels})
                                                .eps(options.layer_norm_eps)));
}

VisualTokens VqaNeckImpl::forward(const at::Tensor& c5, const ImageGeometry& geometry,
                                  int64_t group) {
  const at::Tensor xq = PoolAndProject(c5, group, conv);
  const int64_t n = xq.size(0), h = xq.size(2), w = xq.size(3);
  const at::Tensor grid_mask = GridMaskFor(geometry, group, h, w);
  return {ToTokens(xq, grid_mask, ln), grid_mask.view({n, -1}).to(at::kLong), at::Tensor()};
}

}  // namespace soho::model
