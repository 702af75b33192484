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
  family("jobhost_serve_scheduler_lag_seconds", "histogram", "From a tick to the start of its run.");
  for (size_t i = 0; i < kLagBuckets.size(); ++i)
    o << "jobhost_serve_scheduler_lag_seconds_bucket{le=\"" << kLagBuckets[i] << "\"} " << lag_counts_[i] << "\n";
  o << "jobhost_serve_scheduler_lag_seconds_bucket{le=\"+Inf\"} " << lag_count_ << "\n";
  o << "jobhost_serve_scheduler_lag_seconds_sum " << lag_sum_ << "\n";
  o << "jobhost_serve_scheduler_lag_seconds_count " << lag_count_ << "\n";
  return o.str();
}

}  // namespace jobhost::serve
