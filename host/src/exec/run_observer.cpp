#include "exec/run_observer.hpp"

#include <spdlog/spdlog.h>

#include "state/clock.hpp"

namespace jobhost {

void RunObserver::on_attempt_start(uint32_t job, int attempt) {
  if (req_.store) req_.store->job_started(report_.run_id, report_.try_number, name(job), attempt, hashes_[job]);
  notify(job, JobState::running, attempt, "");
}

void RunObserver::on_attempt_end(uint32_t job, int attempt, JobState state, const AttemptResult& r,
                                 int64_t duration_ms) {
  if (req_.store) record_end(job, attempt, state, r, duration_ms, nullptr, nullptr);
  notify(job, state, attempt, r.error);
}

void RunObserver::on_success_held(uint32_t job, int attempt, const AttemptResult& r,
                                  int64_t duration_ms, Release release, void* executor) {
  // Reported first: the release may start dependants before the store has the end.
  notify(job, JobState::success, attempt, r.error);
  record_end(job, attempt, JobState::success, r, duration_ms, release, executor);
}

void RunObserver::on_settled_without_run(uint32_t job, JobState state, const std::string& reason) {
  if (req_.store)
    req_.store->job_settled(report_.run_id, report_.try_number, name(job), state, reason, hashes_[job]);
  notify(job, state, 0, reason);
}

void RunObserver::on_attempt_deferred(uint32_t job, const Deferral& d,
                                      std::function<void()> start_wait) {
  if (req_.store) {
    state::DeferredAttempt rec{report_.try_number, d.attempt,        std::string(d.key),
                               std::string(d.handle), d.started_unix_ms, d.next_poll_unix_ms,
                               d.polls,               hashes_[job]};
    if (d.handle_changed) {
      // The wait starts once the handle is durable: after kill -9 the next run finds it.
      req_.store->job_deferred(report_.run_id, report_.try_number, name(job), rec,
                               d.reattached_from_try, std::move(start_wait));
    } else {
      req_.store->job_deferred(report_.run_id, report_.try_number, name(job), rec,
                               d.reattached_from_try, nullptr);
      start_wait();
    }
  } else {
    start_wait();
  }
  // The first deferral of an attempt is news; every later poll is not.
  const auto level = d.polls == 0 || d.reattached_from_try ? spdlog::level::info : spdlog::level::debug;
  if (req_.log_state_changes && spdlog::should_log(level)) {
    const int64_t in_ms = std::max<int64_t>(0, d.next_poll_unix_ms - state::now_unix_ms());
    spdlog::log(level, "[{} {}] deferred (attempt {}{}, handle '{}'): next poll in {} ms",
                report_.run_id, name(job), d.attempt,
                d.reattached_from_try ? ", re-attached" : "",
                d.handle.size() > 200 ? std::string(d.handle.substr(0, 200)) + "..." : std::string(d.handle),
                in_ms);
  }
  if (req_.on_state && (d.polls == 0 || d.reattached_from_try)) req_.on_state(job, JobState::deferred);
}

void RunObserver::before_release(uint32_t job, Release release, void* executor) {
  req_.store->when_durable(release, executor, job);
}

void RunObserver::record_end(uint32_t job, int attempt, JobState state, const AttemptResult& r,
                             int64_t duration_ms, Release release, void* executor) {
  std::map<std::string, double> metrics(r.metrics.begin(), r.metrics.end());
  std::map<std::string, std::string> outputs(r.outputs.begin(), r.outputs.end());
  std::optional<state::DeferredAttempt> deferred;
  if (r.was_deferred)
    deferred = state::DeferredAttempt{report_.try_number, attempt, r.idempotency_key, r.handle,
                                      -1, -1, r.polls, hashes_[job]};
  const state::DeferredAttempt* d = deferred ? &*deferred : nullptr;
  if (release)
    req_.store->job_finished_then(report_.run_id, report_.try_number, name(job), attempt, state,
                                  r.error, duration_ms, metrics, outputs, release, executor, job, d,
                                  &r.usage);
  else
    req_.store->job_finished(report_.run_id, report_.try_number, name(job), attempt, state,
                             r.error, duration_ms, metrics, outputs, d, &r.usage);
}

void RunObserver::notify(uint32_t job, JobState state, int attempt, const std::string& detail) {
  if (req_.log_state_changes) {
    if (state == JobState::running) {
      spdlog::info("[{} {}] running (attempt {})", report_.run_id, name(job), attempt);
    } else if (detail.empty() || state == JobState::success) {
      spdlog::info("[{} {}] {}", report_.run_id, name(job), state::to_string(state));
    } else {
      spdlog::info("[{} {}] {}: {}", report_.run_id, name(job), state::to_string(state), detail);
    }
  }
  if (req_.on_state) req_.on_state(job, state);
}

}  // namespace jobhost
