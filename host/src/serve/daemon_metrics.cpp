#include "serve/daemon_metrics.hpp"

#include <sstream>

namespace jobhost::serve {

void DaemonMetrics::run_started(const std::string& why) {
  std::lock_guard lock(mu_);
  started_[why]++;
}

void DaemonMetrics::run_finished(const std::string& status) {
  std::lock_guard lock(mu_);
  finished_[status]++;
}

void DaemonMetrics::job_state(const std::string& state) {
  std::lock_guard lock(mu_);
  job_states_[state]++;
}

void DaemonMetrics::jobs_added(size_t pending) {
  std::lock_guard lock(mu_);
  jobs_now_[static_cast<size_t>(state::JobState::pending)] += static_cast<int64_t>(pending);
}

void DaemonMetrics::jobs_removed(const std::vector<state::JobState>& last) {
  std::lock_guard lock(mu_);
  for (auto s : last) jobs_now_[static_cast<size_t>(s)]--;
}

void DaemonMetrics::job_transition(state::JobState from, state::JobState to, double attempt_seconds) {
  std::lock_guard lock(mu_);
  jobs_now_[static_cast<size_t>(from)]--;
  jobs_now_[static_cast<size_t>(to)]++;
  if (attempt_seconds < 0) return;
  Histogram& h = attempt_durations_[state::to_string(to)];
  for (size_t i = 0; i < kDurationBuckets.size(); ++i)
    if (attempt_seconds <= kDurationBuckets[i]) h.counts[i]++;
  h.count++;
  h.sum += attempt_seconds;
}

void DaemonMetrics::scheduler_lag(double seconds) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kLagBuckets.size(); ++i)
    if (seconds <= kLagBuckets[i]) lag_counts_[i]++;
  lag_count_++;
  lag_sum_ += seconds;
}

std::string DaemonMetrics::text() const {
  std::ostringstream o;
  std::lock_guard lock(mu_);
  auto family = [&](const char* name, const char* type, const char* help) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  };
  family("jobhost_serve_runs_started_total", "counter", "Runs started by the daemon, by reason.");
  for (auto& [why, n] : started_) o << "jobhost_serve_runs_started_total{reason=\"" << why << "\"} " << n << "\n";
  family("jobhost_serve_runs_finished_total", "counter", "Runs the daemon saw end, by status.");
  for (auto& [status, n] : finished_)
    o << "jobhost_serve_runs_finished_total{status=\"" << status << "\"} " << n << "\n";
  family("jobhost_serve_job_state_changes_total", "counter", "Job state changes in the daemon's runs, by new state.");
  for (auto& [state, n] : job_states_)
    o << "jobhost_serve_job_state_changes_total{state=\"" << state << "\"} " << n << "\n";
  family("jobhost_serve_active_runs", "gauge", "Runs in progress in the daemon.");
  o << "jobhost_serve_active_runs " << active_runs_.load() << "\n";
  family("jobhost_serve_pipelines", "gauge", "Pipelines loaded, by whether their file validates.");
  o << "jobhost_serve_pipelines{valid=\"true\"} " << valid_.load() << "\n";
  o << "jobhost_serve_pipelines{valid=\"false\"} " << invalid_.load() << "\n";
  family("jobhost_serve_scheduler_lag_seconds", "histogram", "From a tick to the start of its run's first job (runs started on time; catch-up and resumed runs are not counted).");
  for (size_t i = 0; i < kLagBuckets.size(); ++i)
    o << "jobhost_serve_scheduler_lag_seconds_bucket{le=\"" << kLagBuckets[i] << "\"} " << lag_counts_[i] << "\n";
  o << "jobhost_serve_scheduler_lag_seconds_bucket{le=\"+Inf\"} " << lag_count_ << "\n";
  o << "jobhost_serve_scheduler_lag_seconds_sum " << lag_sum_ << "\n";
  o << "jobhost_serve_scheduler_lag_seconds_count " << lag_count_ << "\n";
  family("jobhost_serve_jobs", "gauge", "Jobs of the daemon's active runs, by current state.");
  for (size_t i = 0; i < kStates; ++i)
    o << "jobhost_serve_jobs{state=\"" << state::to_string(static_cast<state::JobState>(i)) << "\"} "
      << jobs_now_[i] << "\n";
  auto now = [&](state::JobState s) { return jobs_now_[static_cast<size_t>(s)]; };
  family("jobhost_serve_queue_depth", "gauge",
         "Jobs of active runs not started yet: pending (also those waiting for upstream jobs) or up for retry.");
  o << "jobhost_serve_queue_depth " << now(state::JobState::pending) + now(state::JobState::up_for_retry) << "\n";
  family("jobhost_serve_deferred_attempts", "gauge", "Attempts of active runs deferred, waiting for their next poll.");
  o << "jobhost_serve_deferred_attempts " << now(state::JobState::deferred) << "\n";
  family("jobhost_serve_attempt_duration_seconds", "histogram",
         "Running time of attempts that ended, by the state they ended in (deferred: until the deferral).");
  for (auto& [outcome, h] : attempt_durations_) {
    for (size_t i = 0; i < kDurationBuckets.size(); ++i)
      o << "jobhost_serve_attempt_duration_seconds_bucket{state=\"" << outcome << "\",le=\"" << kDurationBuckets[i]
        << "\"} " << h.counts[i] << "\n";
    o << "jobhost_serve_attempt_duration_seconds_bucket{state=\"" << outcome << "\",le=\"+Inf\"} " << h.count << "\n";
    o << "jobhost_serve_attempt_duration_seconds_sum{state=\"" << outcome << "\"} " << h.sum << "\n";
    o << "jobhost_serve_attempt_duration_seconds_count{state=\"" << outcome << "\"} " << h.count << "\n";
  }
  return o.str();
}

std::string DaemonMetrics::commit_latency_text(const state::CommitLatency& latency) {
  std::ostringstream o;
  o << "# HELP jobhost_store_commit_seconds How long the run store's writer took per group commit "
       "(BEGIN to a durable COMMIT).\n# TYPE jobhost_store_commit_seconds histogram\n";
  for (size_t i = 0; i < latency.kBuckets.size(); ++i)
    o << "jobhost_store_commit_seconds_bucket{le=\"" << latency.kBuckets[i] << "\"} " << latency.counts[i] << "\n";
  o << "jobhost_store_commit_seconds_bucket{le=\"+Inf\"} " << latency.count << "\n";
  o << "jobhost_store_commit_seconds_sum " << latency.sum_seconds << "\n";
  o << "jobhost_store_commit_seconds_count " << latency.count << "\n";
  return o.str();
}

std::string DaemonMetrics::pools_text(const std::vector<PoolSet::Usage>& pools) {
  std::ostringstream o;
  auto gauge = [&](const char* name, const char* help, auto value) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n";
    for (auto& p : pools) o << name << "{pool=\"" << p.name << "\"} " << value(p) << "\n";
  };
  gauge("jobhost_pool_slots", "Slots of the host-wide pool ([pools] in the host config).",
        [](auto& p) { return p.size; });
  gauge("jobhost_pool_slots_in_use", "Slots held by attempts in progress (deferred ones too).",
        [](auto& p) { return p.in_use; });
  gauge("jobhost_pool_waiting_jobs", "Jobs waiting for slots of the pool.",
        [](auto& p) { return p.waiting; });
  return o.str();
}

}  // namespace jobhost::serve
