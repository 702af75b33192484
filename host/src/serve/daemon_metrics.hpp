// The daemon's own Prometheus metrics (text exposition format 0.0.4): runs started and
// finished, job state changes, active runs, jobs of active runs by current state (queue
// depth, deferred attempts), attempts ended by outcome with a duration histogram, scheduler
// lag (tick to its run's first job) and pipelines by validity; and the store's commit latency. Counters are atomics or guarded by one
// mutex: scraped from HTTP threads.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "resources/pool_set.hpp"
#include "state/run_store.hpp"

namespace jobhost::serve {

class DaemonMetrics {
 public:
  void run_started(const std::string& why);
  void run_finished(const std::string& status);
  void job_state(const std::string& state);
  // A run's jobs, as the daemon tracks them (all pending when it starts; the last states
  // when it ends), for the gauges of jobs in active runs.
  void jobs_added(size_t pending);
  void jobs_removed(const std::vector<state::JobState>& last);
  // One job went from `from` to `to`; `attempt_seconds` >= 0 when an attempt ended
  // (running -> anything else): its running time.
  void job_transition(state::JobState from, state::JobState to, double attempt_seconds);
  void scheduler_lag(double seconds);
  void set_active_runs(int n) { active_runs_ = n; }
  void set_pipelines(int valid, int invalid) { valid_ = valid, invalid_ = invalid; }

  // Every metric, with HELP and TYPE lines.
  std::string text() const;
  // The run store's commit latency (the writer the daemon's runs share).
  static std::string commit_latency_text(const state::CommitLatency& latency);
  // The host's pools: slots, slots in use and jobs waiting, by pool.
  static std::string pools_text(const std::vector<PoolSet::Usage>& pools);

 private:
  static constexpr std::array<double, 9> kLagBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 60};
  static constexpr std::array<double, 12> kDurationBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
                                                              1,     5,     10,   60,   300, 3600};
  static constexpr size_t kStates = 9;  // JobState's values
  struct Histogram {
    std::array<uint64_t, kDurationBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> started_, finished_, job_states_;
  std::array<uint64_t, kLagBuckets.size()> lag_counts_{};
  uint64_t lag_count_ = 0;
  double lag_sum_ = 0;
  std::array<int64_t, kStates> jobs_now_{};           // jobs of active runs, by state
  std::map<std::string, Histogram> attempt_durations_;  // by the state the attempt ended in
  std::atomic<int> active_runs_{0}, valid_{0}, invalid_{0};
};

}  // namespace jobhost::serve
