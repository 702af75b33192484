// Starting, cancelling, reaping and draining the daemon's runs: each on its own thread, as
// `jobhost run` would run it, all on one store connection and writer.
#include <spdlog/spdlog.h>

#include <future>

#include "config/diagnostics.hpp"
#include "serve/daemon.hpp"
#include "resources/pool_set.hpp"
#include "serve/daemon_active.hpp"
#include "state/run_store.hpp"

namespace jobhost::serve {

namespace {

RunRequest make_request(const PipelineSpec& spec, const PluginRegistry& plugins,
                        const DaemonOptions& options, state::RunStore* store, PoolSet* pools) {
  RunRequest req;
  req.spec = &spec;
  req.plugins = &plugins;
  req.plugin_isolation = options.plugin_isolation;
  req.max_parallel = spec.max_parallel.value_or(options.max_parallel.value_or(0));
  req.max_deferred = spec.max_deferred.value_or(options.max_deferred.value_or(0));
  req.cancel_grace = options.cancel_grace;
  req.scratch_root = options.scratch_root;
  req.store = store;
  req.pools = pools;
  req.log_state_changes = spec.jobs.size() <= 1000;
  return req;
}

}  // namespace

// Starts the run on its own thread and returns at once; the future gives its run id once
// known ("" when it failed to begin: a bad date, another host holds the run, a store error —
// logged).
std::shared_future<std::string> Daemon::launch(Launch l) {
  auto a = std::make_unique<Active>();
  a->pipeline = l.spec->name;
  a->logical = l.logical;
  a->why = l.why;
  a->spec = l.spec;
  a->tick = l.tick;
  RunRequest req = make_request(*a->spec, plugins_, options_, runs_store_.get(), pools_.get());
  if (l.tick && *l.tick > std::chrono::system_clock::now()) req.start_at = *l.tick;
  req.logical_date = l.logical;
  req.data_interval_start = l.interval_start;
  req.data_interval_end = l.interval_end;
  req.param_overrides = l.params;
  req.force = l.force;
  auto begun = std::make_shared<std::promise<std::string>>();
  Active* raw = a.get();
  req.on_begin = [raw, begun](const std::string& id) {
    std::lock_guard lock(raw->mu);
    raw->run_id = id;
    begun->set_value(id);
  };
  raw->states.assign(a->spec->jobs.size(), JobState::pending);
  raw->running_since.resize(raw->states.size());
  metrics_.jobs_added(raw->states.size());
  req.on_state = [this, raw](uint32_t job, JobState s) {
    metrics_.job_state(state::to_string(s));
    // The scheduler's lag: from the tick to its run's first job start.
    if (s == JobState::running && raw->tick && raw->why == "tick" && !raw->first_job_started.exchange(true))
      metrics_.scheduler_lag(std::chrono::duration<double>(std::chrono::system_clock::now() - *raw->tick).count());
    std::lock_guard lock(raw->states_mu);
    if (job >= raw->states.size()) return;  // not one of the spec's jobs: no gauge to move
    const JobState from = std::exchange(raw->states[job], s);
    const auto now = std::chrono::steady_clock::now();
    double attempt_seconds = -1;
    if (from == JobState::running && s != JobState::running)
      attempt_seconds = std::chrono::duration<double>(now - raw->running_since[job]).count();
    if (s == JobState::running) raw->running_since[job] = now;
    metrics_.job_transition(from, s, attempt_seconds);
  };
  a->run = std::make_unique<PipelineRun>(std::move(req));
  std::shared_future<std::string> id = begun->get_future().share();
  a->thread = std::thread([this, raw, begun] {
    std::string status = "error";
    try {
      RunReport report = raw->run->run();
      status = report.status;
      spdlog::info("serve: run {} ({} {}, {}): {}", report.run_id, raw->pipeline, raw->logical, raw->why,
                   report.nothing_to_do() ? "nothing to do" : report.status);
    } catch (const std::exception& e) {
      spdlog::error("serve: {} for {} ({}) did not run: {}", raw->pipeline, raw->logical, raw->why, e.what());
    }
    try {
      begun->set_value("");  // never begun
    } catch (const std::future_error&) {
    }
    metrics_.run_finished(status);
    {
      std::lock_guard lock(raw->states_mu);
      metrics_.jobs_removed(raw->states);
      raw->states.clear();
    }
    raw->done = true;
    std::lock_guard lock(mu_);
    run_ended_ = true;
    wake_.notify_all();
  });
  metrics_.run_started(l.why);
  {
    std::lock_guard lock(mu_);
    active_.push_back(std::move(a));
    metrics_.set_active_runs(static_cast<int>(active_.size()));
  }
  return id;
}

void Daemon::reap_finished() {
  std::vector<std::unique_ptr<Active>> ended;
  {
    std::lock_guard lock(mu_);
    for (auto it = active_.begin(); it != active_.end();) {
      if ((*it)->done) {
        ended.push_back(std::move(*it));
        it = active_.erase(it);
      } else {
        ++it;
      }
    }
    metrics_.set_active_runs(static_cast<int>(active_.size()));
  }
  for (auto& a : ended) a->thread.join();
}

int Daemon::active_count(const std::string& pipeline) const {
  int n = 0;
  for (auto& a : active_) n += a->pipeline == pipeline && !a->done;
  return n;
}

bool Daemon::is_active(const std::string& pipeline, const std::string& logical) const {
  for (auto& a : active_)
    if (a->pipeline == pipeline && a->logical == logical && !a->done) return true;
  return false;
}

bool Daemon::cancel(const std::string& run_id) {
  std::lock_guard lock(mu_);
  for (auto& a : active_) {
    std::lock_guard run_lock(a->mu);
    if (a->run_id == run_id && !a->done) {
      a->run->cancel();
      return true;
    }
  }
  return false;
}

// SIGTERM: nothing new starts; runs get drain_grace to finish, then are cancelled (their
// attempts get the cancel grace) and recorded.
void Daemon::drain() {
  const auto deadline = std::chrono::steady_clock::now() + options_.drain_grace;
  {
    std::unique_lock lock(mu_);
    if (!active_.empty())
      spdlog::info("serve: stopping; waiting up to {} ms for {} run(s)", options_.drain_grace.count(), active_.size());
    wake_.wait_until(lock, deadline, [&] {
      return std::all_of(active_.begin(), active_.end(), [](auto& a) { return a->done.load(); });
    });
    for (auto& a : active_)
      if (!a->done) a->run->cancel();
  }
  std::vector<std::unique_ptr<Active>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(active_);
  }
  for (auto& a : all)
    if (a->thread.joinable()) a->thread.join();
}

}  // namespace jobhost::serve
