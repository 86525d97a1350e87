#include "soho/data/image/buffer_pool.h"

#include <algorithm>

namespace soho::data {

FloatBufferPool::FloatBufferPool(size_t max_cached) : state_(std::make_shared<State>()) {
  state_->max_cached = max_cached;
}

at::Tensor FloatBufferPool::Empty(at::IntArrayRef sizes) {
  size_t needed = 1;
  for (int64_t s : sizes) needed *= static_cast<size_t>(s);
  Buffer buffer;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    // The smallest idle buffer that fits.
    auto best = state_->idle.end();
    for (auto it = state_->idle.begin(); it != state_->idle.end(); ++it) {
      if (it->capacity >= needed && (best == state_->idle.end() || it->capacity < best->capacity)) best = it;
    }
    if (best != state_->idle.end()) {
      buffer = std::move(*best);
      state_->idle.erase(best);
    }
  }
  if (buffer.data == nullptr) {
    // Headroom, so that slightly larger batches (multi-scale training) still fit later.
    buffer.capacity = std::max<size_t>(needed + needed / 4, 1);
    buffer.data.reset(new float[buffer.capacity]);
  }
  float* data = buffer.data.get();
  // The deleter owns the buffer (shared_ptr: std::function needs a copyable callable).
  auto owned = std::make_shared<Buffer>(std::move(buffer));
  std::shared_ptr<State> state = state_;
  return at::from_blob(
      data, sizes,
      [owned, state](void*) {
        std::lock_guard<std::mutex> lock(state->mutex);
        if (state->idle.size() < state->max_cached) {
          state->idle.push_back(std::move(*owned));
        } else {
          // Evict the smallest: big buffers are the ones worth keeping.
          auto smallest = std::min_element(state->idle.begin(), state->idle.end(),
                                           [](const Buffer& a, const Buffer& b) { return a.capacity < b.capacity; });
          if (smallest != state->idle.end() && smallest->capacity < owned->capacity) *smallest = std::move(*owned);
        }
      },
      at::TensorOptions().dtype(at::kFloat));
}

}  // namespace soho::data
