#pragma once
// Recycled memory for batch tensors.
//
// Why: a batch of 8 images at (1000, 600) is a 46 MB float tensor. glibc serves blocks that
// large with a fresh mmap each time, so every batch pays a page fault per 4 KB page on
// first touch; measured on the project's VMs that made collation ~50x slower than the
// normalization itself (benchmarks/data_benchmark.cc, BM_Collate8). Tensors from this pool
// hand their buffer back when the last reference goes away, so steady-state batches reuse
// memory that is already mapped.
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <ATen/ATen.h>

namespace soho::data {

class FloatBufferPool {
 public:
  // Keeps at most `max_cached` idle buffers (enough for the batches in flight: prefetched,
  // being built by workers, held by the consumer).
  explicit FloatBufferPool(size_t max_cached = 8);

  // An uninitialized float CPU tensor of `sizes` whose memory comes from, and returns to,
  // the pool. Thread-safe; the tensor may outlive the pool object.
  at::Tensor Empty(at::IntArrayRef sizes);

 private:
  struct Buffer {
    std::unique_ptr<float[]> data;
    size_t capacity = 0;  // floats
  };
  struct State {
    std::mutex mutex;
    std::vector<Buffer> idle;
    size_t max_cached = 0;
  };
  std::shared_ptr<State> state_;
};

}  // namespace soho::data
