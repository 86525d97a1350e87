#pragma once
// The seam through which model code talks to other ranks in distributed training.
//
// The model (e.g. the Visual Dictionary, which combines its statistics across ranks) never
// links a process-group library; it is handed a Collective. One process uses LocalCollective
// (a no-op); the trainer plugs in an implementation backed by c10d (Gloo / NCCL).
#include <vector>

#include <ATen/core/Tensor.h>

namespace soho {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int world_size() const = 0;
  virtual int rank() const = 0;
  // Replaces each tensor, in place, by its element-wise sum over all ranks. Every rank calls
  // this with tensors of the same shapes in the same order.
  virtual void AllReduceSum(std::vector<at::Tensor>& tensors) = 0;
};

// One process: the sum over ranks is the tensor itself.
class LocalCollective final : public Collective {
 public:
  int world_size() const override { return 1; }
  int rank() const override { return 0; }
  void AllReduceSum(std::vector<at::Tensor>& /*tensors*/) override {}
};

}  // namespace soho
