#pragma once
// SyncBatchNorm for the necks' ConvModules (model.neck.sync_bn): in training mode the batch
// mean and variance are those of the batch of all ranks together (sums and sums of squares
// all-reduced through a soho::Collective), and backward all-reduces the two per-channel
// sums the input gradient needs, so that N ranks over B/N images each compute what one
// process computes over B. The BatchNorm module keeps its parameters and running statistics
// (updated as torch's BatchNorm does), so checkpoints are unchanged; eval mode is the plain
// BatchNorm on the running statistics.
#include <memory>

#include "soho/common/collective.h"
#include "soho/model/conv_module.h"

namespace soho::train {

// `collective` must outlive every graph built with the returned function.
model::BatchNormFn SyncBatchNormFn(std::shared_ptr<Collective> collective);

}  // namespace soho::train
