// How long the store's writer takes per group commit (BEGIN to a durable COMMIT), as a
// fixed-bucket histogram that any thread may read while the writer records: the daemon's
// /metrics shows it as jobhost_store_commit_seconds.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace jobhost::state {

// A snapshot: counts[i] commits took at most kBuckets[i] seconds (cumulative, as Prometheus).
struct CommitLatency {
  static constexpr std::array<double, 11> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   1};
  std::array<uint64_t, kBuckets.size()> counts{};
  uint64_t count = 0;
  double sum_seconds = 0;
};

class CommitLatencyRecorder {
 public:
  void record(double seconds) {
    for (size_t i = 0; i < CommitLatency::kBuckets.size(); ++i)
      if (seconds <= CommitLatency::kBuckets[i]) counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_release);
  }
  CommitLatency snapshot() const {
    CommitLatency s;
    s.count = count_.load(std::memory_order_acquire);
    for (size_t i = 0; i < s.counts.size(); ++i) s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.sum_seconds = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, CommitLatency::kBuckets.size()> counts_{};
  std::atomic<uint64_t> count_{0}, sum_micros_{0};
};

}  // namespace jobhost::state
