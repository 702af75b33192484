// The daemon as the HTTP side sees it (DaemonControl): pipelines with their schedules,
// manual triggers, metrics.
#include <algorithm>

#include "config/diagnostics.hpp"
#include "exec/pipeline_run.hpp"
#include "serve/daemon.hpp"
#include "serve/daemon_active.hpp"
#include "serve/schedule_view.hpp"

namespace jobhost::serve {

std::vector<PipelineStatus> Daemon::pipelines() const {
  std::vector<PipelineStatus> out;
  for (auto& e : catalog_.entries()) {
    PipelineStatus p;
    p.name = e.name;
    p.file = e.file;
    p.valid = e.error.empty();
    p.error = e.error;
    if (e.spec) {
      const ScheduleView view = schedule_view(*e.spec);
      p.schedule = view.expression;
      p.timezone = view.timezone;
    } else {
      p.schedule = "none";
      p.timezone = "UTC";
    }
    std::lock_guard lock(mu_);
    if (auto it = next_tick_.find(e.name); it != next_tick_.end()) p.next_fire = schedule::format_instant(it->second);
    if (auto it = last_tick_.find(e.name); it != last_tick_.end()) {
      // A tick prepared ahead (its run waits for it) is the next to fire; the last is before it.
      if (it->second > std::chrono::system_clock::now()) {
        p.next_fire = schedule::format_instant(it->second);
        if (auto prev = prepared_after_.find(e.name); prev != prepared_after_.end() && prev->second)
          p.last_tick = schedule::format_instant(*prev->second);
      } else {
        p.last_tick = schedule::format_instant(it->second);
      }
    }
    p.active_runs = active_count(e.name);
    out.push_back(std::move(p));
  }
  return out;
}

std::string Daemon::trigger(const TriggerRequest& request) {
  auto spec = catalog_.find(request.pipeline);
  if (!spec) {
    for (auto& e : catalog_.entries())
      if (e.name == request.pipeline)
        throw ControlError(409, "pipeline '" + request.pipeline + "' has never validated: " + e.error);
    throw ControlError(404, "no pipeline '" + request.pipeline + "'");
  }
  std::string logical = request.date.empty() ? today_utc() : request.date;
  if (!valid_logical_date(logical)) {
    auto t = schedule::parse_instant(logical);
    if (!t || logical.size() <= 10)
      throw ControlError(400, "date must be YYYY-MM-DD or an ISO instant, got '" + request.date + "'");
    logical = schedule::format_instant(*t);
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) throw ControlError(409, "the daemon is stopping");
    if (is_active(request.pipeline, logical))
      throw ControlError(409, "a run of '" + request.pipeline + "' for " + logical + " is in progress");
  }
  std::vector<std::pair<std::string, std::string>> params(request.params.begin(), request.params.end());
  for (auto& [k, v] : params)
    if (std::none_of(spec->params.begin(), spec->params.end(), [&](auto& p) { return p.first == k; }))
      throw ControlError(400, "pipeline '" + request.pipeline + "' has no param '" + k + "'");
  std::string run_id = launch({spec, logical, "", "", std::move(params), request.force, "manual"}).get();
  if (run_id.empty())
    throw ControlError(409, "the run of '" + request.pipeline + "' for " + logical +
                                " did not start (see the daemon's log: another host may hold it)");
  return run_id;
}

std::string Daemon::metrics_text() const {
  return metrics_.text() + DaemonMetrics::commit_latency_text(runs_store_->commit_latency()) +
         (pools_ ? DaemonMetrics::pools_text(pools_->usage()) : std::string());
}

bool Daemon::draining() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

state::RunStore& Daemon::loop_store() {
  if (!loop_store_) loop_store_ = open_run_store(options_.store_path);
  return *loop_store_;
}

std::unique_ptr<state::RunStore> open_run_store(const std::string& path) {
  state::StoreOptions opt;
  opt.path = path;
  return state::RunStore::open(opt);
}

}  // namespace jobhost::serve
