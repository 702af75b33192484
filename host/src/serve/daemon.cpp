#include "serve/daemon.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/diagnostics.hpp"
#include "serve/daemon_active.hpp"
#include "plugins/plugin_registry.hpp"
#include "serve/schedule_view.hpp"
#include "serve/tick_planner.hpp"
#include "state/run_store.hpp"

namespace jobhost::serve {

using schedule::Instant;
using Clock = std::chrono::system_clock;

namespace {

Instant now_seconds() { return std::chrono::floor<std::chrono::seconds>(Clock::now()); }

}  // namespace

Daemon::Daemon(DaemonOptions options, const PluginRegistry& plugins)
    : options_(std::move(options)),
      plugins_(plugins),
      catalog_(options_.pipelines_dir, plugins),
      ticks_(options_.store_path),
      runs_store_(open_run_store(options_.store_path)) {
  if (!options_.pools.empty()) pools_ = std::make_unique<PoolSet>(options_.pools);
}

Daemon::~Daemon() {
  stop();
  drain();
}

void Daemon::request_reload() {
  std::lock_guard lock(mu_);
  reload_requested_ = true;
  wake_.notify_all();
}

void Daemon::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  wake_.notify_all();
}

void Daemon::reload(bool log_unchanged) {
  ReloadReport report = catalog_.reload();
  for (auto& n : report.added) spdlog::info("serve: pipeline '{}' loaded", n);
  for (auto& n : report.changed) spdlog::info("serve: pipeline '{}' reloaded", n);
  for (auto& n : report.removed) spdlog::info("serve: pipeline '{}' removed", n);
  for (auto& e : report.invalid)
    spdlog::warn("serve: {} (its last valid version, if any, stays scheduled)", e);
  if (log_unchanged && !report.any()) spdlog::info("serve: no pipelines in {}", options_.pipelines_dir);
  int valid = 0, invalid = 0;
  const Instant now = now_seconds();
  std::lock_guard lock(mu_);
  for (auto& e : catalog_.entries()) {
    (e.error.empty() ? valid : invalid)++;
    if (e.spec) watched_since_.emplace(e.name, now);
  }
  metrics_.set_pipelines(valid, invalid);
}

void Daemon::run() {
  reload(true);
  resume_in_flight();
  auto last_scan = std::chrono::steady_clock::now();
  bool announced = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (stopping_) break;
    }
    reap_finished();
    bool rescan = false;
    {
      std::lock_guard lock(mu_);
      rescan = reload_requested_ ||
               std::chrono::steady_clock::now() - last_scan >= options_.reload_interval;
      reload_requested_ = false;
    }
    if (rescan) {
      reload(false);
      last_scan = std::chrono::steady_clock::now();
    }
    schedule_ticks(now_seconds());
    run_after_triggers();
    run_file_triggers();
    if (!announced) {  // tests and operators wait for this line
      spdlog::info("serve: ready ({} pipeline(s))", catalog_.entries().size());
      announced = true;
    }
    std::unique_lock lock(mu_);
    wake_.wait_until(lock, std::min(next_wake(), last_scan + options_.reload_interval),
                     [&] { return stopping_ || reload_requested_ || run_ended_; });
    run_ended_ = false;
  }
  drain();
}

// The steady-clock moment to prepare the earliest next tick (at most a second from now).
// Under mu_.
std::chrono::steady_clock::time_point Daemon::next_wake() const {
  const auto steady_now = std::chrono::steady_clock::now();
  const auto sys_now = Clock::now();
  auto wake = steady_now + std::chrono::seconds(1);
  for (auto& [name, tick] : next_tick_) {
    const auto at = steady_now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     tick - options_.prepare_ahead - sys_now);
    wake = std::min(wake, at);
  }
  return wake;
}

}  // namespace jobhost::serve
