#pragma once
// Runs `produce(0), produce(1), ...` on N worker threads, at most `capacity` items ahead of
// the consumer, and hands the results out strictly in index order. What comes out depends
// only on `produce` and the index, never on the number of workers or on timing.
//
// Errors: a failed item (a non-OK Status, or an exception thrown by `produce`) is returned
// by Next() at its position; nothing after it is scheduled, and Next() keeps returning
// that error. The destructor stops the workers and joins them (each finishes at most the
// item it is producing), so dropping the prefetcher early never hangs.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace soho::data {

template <typename T>
class OrderedPrefetcher {
 public:
  using Producer = std::function<absl::StatusOr<T>(int64_t index)>;

  // num_workers == 0: Next() produces in the calling thread, nothing runs ahead.
  // capacity: items produced ahead of the consumer (raised to num_workers, so that every
  // worker can be busy).
  OrderedPrefetcher(int64_t count, Producer produce, int num_workers, int capacity)
      : count_(count), produce_(std::move(produce)), capacity_(std::max(capacity, std::max(num_workers, 1))) {
    workers_.reserve(num_workers);
    for (int w = 0; w < num_workers; ++w) workers_.emplace_back([this] { WorkerLoop(); });
  }

  OrderedPrefetcher(const OrderedPrefetcher&) = delete;
  OrderedPrefetcher& operator=(const OrderedPrefetcher&) = delete;

  ~OrderedPrefetcher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  // The next item; std::nullopt after the last one.
  absl::StatusOr<std::optional<T>> Next() {
    if (!error_.ok()) return error_;
    if (consumed_ >= count_) return std::optional<T>();
    absl::StatusOr<T> item = absl::UnknownError("unset");
    if (workers_.empty()) {
      item = SafeProduce(consumed_);
    } else {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return ready_.count(consumed_) > 0; });
      auto it = ready_.find(consumed_);
      item = std::move(it->second);
      ready_.erase(it);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++consumed_;
      if (!item.ok()) {
        error_ = item.status();
        failed_ = true;
      }
    }
    changed_.notify_all();
    if (!item.ok()) return item.status();
    return std::optional<T>(std::move(item).value());
  }

  int64_t size() const { return count_; }

 private:
  absl::StatusOr<T> SafeProduce(int64_t index) {
    try {
      return produce_(index);
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("item ", index, ": ", e.what()));
    }
  }

  void WorkerLoop() {
    while (true) {
      int64_t index;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] {
          return stopping_ || failed_ || next_ >= count_ || next_ < consumed_ + capacity_;
        });
        if (stopping_ || failed_ || next_ >= count_) return;
        index = next_++;
      }
      absl::StatusOr<T> item = SafeProduce(index);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        // A failure stops scheduling at once; the consumer still receives the items
        // before it, then the error, in order.
        if (!item.ok()) failed_ = true;
        ready_.emplace(index, std::move(item));
      }
      changed_.notify_all();
    }
  }

  const int64_t count_;
  const Producer produce_;
  const int64_t capacity_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int64_t, absl::StatusOr<T>> ready_;
  int64_t next_ = 0;      // next index a worker will produce
  int64_t consumed_ = 0;  // next index the consumer will take
  bool failed_ = false;
  bool stopping_ = false;
  absl::Status error_;    // consumer side: the error already handed out
  std::vector<std::thread> workers_;
};

}  // namespace soho::data
