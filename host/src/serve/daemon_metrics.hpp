// The daemon's own Prometheus metrics (text exposition format 0.0.4): runs started and
// finished, job state changes, active runs, scheduler lag (tick to run start) and pipelines
// by validity. Counters are atomics or guarded by one mutex: scraped from HTTP threads.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>

namespace jobhost::serve {

class DaemonMetrics {
 public:
  void run_started(const std::string& why);
  void run_finished(const std::string& status);
  void job_state(const std::string& state);
  void scheduler_lag(double seconds);
  void set_active_runs(int n) { active_runs_ = n; }
  void set_pipelines(int valid, int invalid) { valid_ = valid, invalid_ = invalid; }

  // Every metric, with HELP and TYPE lines.
  std::string text() const;

 private:
  static constexpr std::array<double, 9> kLagBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 60};
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> started_, finished_, job_states_;
  std::array<uint64_t, kLagBuckets.size()> lag_counts_{};
  uint64_t lag_count_ = 0;
  double lag_sum_ = 0;
  std::atomic<int> active_runs_{0}, valid_{0}, invalid_{0};
};

}  // namespace jobhost::serve
