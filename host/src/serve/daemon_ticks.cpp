// What the daemon starts by itself: due ticks of each schedule, runs a crash left unfinished,
// and pipelines triggered by other pipelines' success for the same logical date.
#include <spdlog/spdlog.h>

#include <set>

#include "serve/daemon.hpp"
#include "serve/daemon_active.hpp"
#include "serve/schedule_view.hpp"
#include "serve/tick_planner.hpp"

namespace jobhost::serve {

using schedule::Instant;

namespace {

// The tick's data interval: from the previous fire time to the tick.
std::string interval_start(const schedule::Schedule& s, Instant tick) {
  auto prev = s.previous_before(tick);
  return schedule::format_instant(prev ? *prev : tick);
}

}  // namespace

// Ticks due within the preparation lead are recorded together (one commit), then their runs
// are launched: each locks, records and readies itself now and starts its jobs at its tick.
void Daemon::schedule_ticks(Instant now) {
  const Instant horizon = std::chrono::floor<std::chrono::seconds>(
      std::chrono::system_clock::now() + options_.prepare_ahead);
  struct Due {
    std::string pipeline;
    std::shared_ptr<const PipelineSpec> spec;
    ScheduleView view;
    Instant tick;
  };
  std::vector<Due> due;
  std::vector<std::pair<std::string, Instant>> record;
  for (auto& entry : catalog_.entries()) {
    if (!entry.spec) continue;
    ScheduleView view = schedule_view(*entry.spec);
    if (!view.schedule) continue;
    TickInput in;
    in.schedule = view.schedule.get();
    in.start_date = view.start_date;
    in.end_date = view.end_date;
    in.catchup = view.catchup;
    in.now = now;
    in.horizon = horizon;
    int free = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      if (auto it = last_tick_.find(entry.name); it != last_tick_.end()) in.last_tick = it->second;
      in.watched_since = watched_since_.count(entry.name) ? watched_since_[entry.name] : now;
      free = view.max_active_runs - active_count(entry.name);
    }
    in.limit = static_cast<size_t>(std::max(free, 0));
    TickPlan plan = plan_ticks(in);
    {
      std::lock_guard lock(mu_);
      if (plan.next_tick) next_tick_[entry.name] = *plan.next_tick;
      else next_tick_.erase(entry.name);
    }
    for (Instant tick : plan.due) {
      due.push_back({entry.name, entry.spec, view, tick});
      record.emplace_back(entry.name, tick);
    }
  }
  if (due.empty()) return;
  // Recorded before the runs begin: a crash from here on finds each tick and its run, or
  // finds the tick without a run and starts it (resume_in_flight).
  ticks_.set_last_ticks(record);
  {
    std::lock_guard lock(mu_);
    for (auto& d : due) {
      auto last = last_tick_.find(d.pipeline);
      if (d.tick > now)  // shown as the last tick until the prepared one fires
        prepared_after_[d.pipeline] = last == last_tick_.end() ? std::nullopt : std::optional(last->second);
      last_tick_[d.pipeline] = d.tick;
    }
  }
  for (auto& d : due) {
    Launch l{d.spec, schedule::format_instant(d.tick), interval_start(*d.view.schedule, d.tick),
             schedule::format_instant(d.tick), {}, false, d.tick + std::chrono::seconds(2) >= now ? "tick" : "catch-up"};
    l.tick = d.tick;
    launch(std::move(l));
  }
}

// After a restart: the last tick of each pipeline either ran to its end, or runs again now
// (resumed: deferred attempts re-attach), or never began (the crash came between recording
// the tick and starting its run) and starts now.
void Daemon::resume_in_flight() {
  state::RunStore& store = loop_store();
  auto stored = ticks_.all();
  {
    std::lock_guard lock(mu_);
    last_tick_ = stored;
  }
  for (auto& [pipeline, tick] : stored) {
    auto spec = catalog_.find(pipeline);
    if (!spec) continue;
    const ScheduleView view = schedule_view(*spec);
    const std::string logical = schedule::format_instant(tick);
    const auto run_id = store.find_run_id(pipeline, logical);
    std::string why;
    if (!run_id) {
      why = "lost tick";
    } else if (auto run = store.get_run(*run_id); run && run->summary.status == "running") {
      why = "resume";
    } else {
      continue;
    }
    spdlog::info("serve: {} {}: {}", pipeline, logical, why == "resume" ? "resuming the run a stopped daemon left" : "starting the tick a stopped daemon recorded but did not start");
    Launch l{spec, logical, view.schedule ? interval_start(*view.schedule, tick) : logical, logical, {}, false, why};
    l.tick = tick;  // a tick prepared ahead before the stop still waits for its instant
    launch(std::move(l));
  }
}

// [pipeline.trigger] after = [...]: a run for each logical date on which all of those
// pipelines succeeded (since the daemon began watching), once.
void Daemon::run_after_triggers() {
  for (auto& entry : catalog_.entries()) {
    if (!entry.spec) continue;
    const ScheduleView view = schedule_view(*entry.spec);
    if (view.after.empty()) continue;
    state::RunStore& store = loop_store();
    std::string since;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      since = schedule::format_instant(watched_since_.count(entry.name) ? watched_since_[entry.name]
                                                                         : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
      since.insert(since.size() - 1, ".000");  // compared as text with ended_at (milliseconds)
    }
    std::map<std::string, size_t> succeeded;  // logical date -> how many of `after` succeeded
    for (auto& upstream : view.after) {
      std::set<std::string> dates;
      for (auto& r : store.list_runs(upstream, 50))
        if (r.status == "success" && r.ended_at >= since) dates.insert(r.logical_date);
      for (auto& d : dates) succeeded[d]++;
    }
    for (auto& [date, n] : succeeded) {
      if (n != view.after.size() || store.find_run_id(entry.name, date)) continue;
      {
        std::lock_guard lock(mu_);
        if (is_active(entry.name, date) || active_count(entry.name) >= view.max_active_runs) continue;
      }
      std::string who;
      for (auto& a : view.after) who += (who.empty() ? "" : ", ") + a;
      launch({entry.spec, date, "", "", {}, false, "after " + who});
    }
  }
}

// [pipeline.trigger] files: a run (logical time: now) once matching files have settled, and
// not again for the same files. Which files fired is in the store, so a restart does not
// fire them twice.
void Daemon::run_file_triggers() {
  const auto steady_now = std::chrono::steady_clock::now();
  for (auto& entry : catalog_.entries()) {
    if (!entry.spec) continue;
    const ScheduleView view = schedule_view(*entry.spec);
    if (view.files.empty()) continue;
    const std::string snapshot = FileTrigger::snapshot(view.files);
    auto fired = fired_files_.find(entry.name);
    if (fired == fired_files_.end()) fired = fired_files_.emplace(entry.name, ticks_.fired_files(entry.name)).first;
    if (!file_triggers_[entry.name].ready(snapshot, view.settle, steady_now, fired->second)) continue;
    {
      std::lock_guard lock(mu_);
      if (stopping_ || active_count(entry.name) >= view.max_active_runs) continue;
    }
    ticks_.set_fired_files(entry.name, snapshot);
    fired->second = snapshot;
    const std::string now = schedule::format_instant(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    launch({entry.spec, now, "", "", {}, false, "files"});
  }
}

}  // namespace jobhost::serve
