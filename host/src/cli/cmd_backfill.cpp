// jobhost backfill FILE --from D1 --to D2 [--max-active N]: the daemon's catch-up on demand.
// Every tick of the pipeline's schedule in the range runs, in tick order, at most N at once,
// each on its own thread with its own store connection (as the daemon runs them), each with
// the tick's data interval (the previous fire time to the tick). Runs are idempotent per
// (pipeline, logical time), and take per-run locks, so a daemon may run beside.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/diagnostics.hpp"
#include "config/duration.hpp"
#include "config/pipeline_loader.hpp"
#include "exec/pipeline_run.hpp"
#include "resources/pool_set.hpp"
#include "schedule/cron.hpp"

namespace jobhost::cli {
namespace {

using schedule::Instant;

constexpr size_t kMaxTicksWithoutYes = 10000;

const char* kHelp = R"(usage: jobhost backfill FILE --from D1 --to D2 [options]

Runs every tick of the pipeline's schedule from D1 to D2 (both included), oldest first, at
most --max-active at once: what `jobhost serve` does for missed ticks with catchup = true,
on demand, with or without a daemon. Each tick is the run of its logical time (the tick) and
covers the data interval from the schedule's previous fire time to the tick.

D1 and D2 are dates (YYYY-MM-DD, UTC) or ISO instants (2026-12-01T13:00:00Z, or with an
offset). A date as D1 means its 00:00:00Z, a date as D2 the end of that day (23:59:59Z).
Ticks before the pipeline's start_date or after its end_date are left out. A pipeline with
schedule = "none" gets one run per UTC date in the range (logical date YYYY-MM-DD).

A tick whose run already succeeded is "nothing to do" (use --force to rerun it); a failed or
cancelled one resumes. A run another host holds (a daemon running it now) is reported as
"locked" and skipped.

  --from D1             first date or instant (required)
  --to D2               last date or instant (required; not before D1)
  --max-active N        runs at once (default: the pipeline's max_active_runs, else 1)
  --yes                 allow more than 10000 ticks
  --param KEY=VALUE     override a [pipeline.params] default (repeatable)
  --max-parallel N      jobs running at once within a run (default: pipeline, host config)
  --force               rerun every job of every tick
  --json                print one JSON object with each tick's run id and status on stdout
  --state PATH          run store (default: $JOBHOST_STATE, host config, .jobhost/state.db)
  --plugin-path DIR     load plugins from DIR (repeatable)
  --config FILE         host config (default: $JOBHOST_CONFIG, ./jobhost.toml)
  --log-level LEVEL     trace, debug, info, warn, error, off
  --cancel-grace DUR    how long cancelled jobs may take to stop (default 5s)

SIGINT/SIGTERM cancels the runs in progress and starts no more.

Exit codes: 0 every tick succeeded (or had nothing to do), 1 a tick failed, was cancelled,
locked by another host or did not start, 2 bad input (bad dates, D1 after D2, too many
ticks), 3 internal error, 130/143 interrupted.
)";

// One tick to run and, once it ran, what happened.
struct Tick {
  std::string logical;                  // the run's key: an instant, or a date for "none"
  std::string interval_start, interval_end;  // empty: the run's default (a date's UTC day)
  std::string run_id;
  std::string status = "not started";  // success | failed | cancelled | locked | error | not started
  bool nothing_to_do = false;
  std::string error;
};

// A --from/--to value as an instant; a date is its midnight, or (end_of_day) its 23:59:59Z.
Instant range_arg(const Args& args, const char* option, bool end_of_day) {
  auto v = args.value(option);
  if (!v) throw UsageError(std::string("backfill needs ") + option);
  const std::string key = logical_time_arg(*v, option);  // a date, or an instant in UTC
  auto t = schedule::parse_instant(key);
  if (!t) throw UsageError(std::string(option) + " '" + *v + "': not a date or an ISO instant");
  const bool is_date = key.find('T') == std::string::npos;
  if (is_date && end_of_day) *t += std::chrono::hours(24) - std::chrono::seconds(1);
  return *t;
}

std::string date_of(Instant t) {
  return schedule::format_instant(std::chrono::floor<std::chrono::days>(t)).substr(0, 10);
}

// The ticks in [from, to], oldest first; at most `cap` + 1 (so that "too many" is seen).
std::vector<Tick> plan(const PipelineSpec& spec, Instant from, Instant to, size_t cap) {
  std::vector<Tick> ticks;
  const schedule::ScheduleSpec* s = spec.schedule ? &*spec.schedule : nullptr;
  Instant lo = from, hi = to;
  if (s && s->start_date && *s->start_date > lo) lo = *s->start_date;
  if (s && s->end_date && *s->end_date < hi) hi = *s->end_date;
  if (!s || !s->parsed) {
    // No time schedule: one run per UTC date of the range (start/end dates apply to days).
    for (auto d = std::chrono::floor<std::chrono::days>(lo); d <= hi && ticks.size() <= cap;
         d += std::chrono::days(1)) {
      Tick t;
      t.logical = date_of(Instant(d));
      ticks.push_back(std::move(t));
    }
    return ticks;
  }
  const schedule::Schedule& sched = *s->parsed;
  for (auto t = sched.next_after(lo - std::chrono::seconds(1)); t && *t <= hi && ticks.size() <= cap;
       t = sched.next_after(*t)) {
    Tick tick;
    tick.logical = schedule::format_instant(*t);
    auto prev = sched.previous_before(*t);
    tick.interval_start = schedule::format_instant(prev ? *prev : *t);
    tick.interval_end = tick.logical;
    ticks.push_back(std::move(tick));
  }
  return ticks;
}

int positive(const Args& args, const char* option, int fallback) {
  auto v = args.value(option);
  if (!v) return fallback;
  int n = 0;
  try {
    size_t used = 0;
    n = std::stoi(*v, &used);
    if (used != v->size()) n = 0;
  } catch (...) {
  }
  if (n < 1) throw UsageError(std::string(option) + " must be a positive integer");
  return n;
}

Millis grace_arg(const Args& args) {
  if (auto v = args.value("--cancel-grace")) {
    auto d = parse_duration(*v);
    if (!d) throw UsageError("--cancel-grace must be a duration like 5s");
    return *d;
  }
  return Millis(5000);
}

// The runs in progress, so that a signal can cancel them.
class Runner {
 public:
  Runner() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // before any thread starts
  }

  // SIGINT/SIGTERM: cancel what runs, start nothing more. A second signal, or runs still going
  // after the grace period, ends the process at once.
  void watch_signals(Millis grace) {
    watcher_ = std::thread([this, grace] {
      timespec tick{0, 100 * 1000 * 1000};
      while (!finished_) {
        int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig <= 0) continue;
        if (signal_ != 0) _exit(128 + sig);
        signal_ = sig;
        spdlog::warn("received {}: cancelling the runs in progress, starting no more",
                     sig == SIGINT ? "SIGINT" : "SIGTERM");
        std::unique_lock lock(mu_);
        for (auto* r : running_) r->cancel();
        cv_.notify_all();
        if (!cv_.wait_for(lock, grace + std::chrono::milliseconds(1000),
                          [&] { return running_.empty() || finished_.load(); })) {
          spdlog::error("runs did not stop within the grace period; exiting");
          _exit(128 + sig);
        }
      }
    });
  }

  // Runs each tick, in order, at most `max_active` at once.
  void run_all(std::vector<Tick>& ticks, int max_active,
               const std::function<RunRequest(const Tick&, state::RunStore*)>& request,
               const std::function<std::unique_ptr<state::RunStore>()>& open) {
    std::list<std::thread> threads;
    for (auto& tick : ticks) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return signal_ != 0 || active_ < max_active; });
        if (signal_ != 0) break;
        ++active_;
      }
      Tick* t = &tick;
      threads.emplace_back([this, t, &request, &open] {
        try {
          auto store = open();
          PipelineRun run(request(*t, store.get()));
          {
            std::lock_guard lock(mu_);
            running_.push_back(&run);
            if (signal_ != 0) run.cancel();
          }
          try {
            RunReport report = run.run();
            t->run_id = report.run_id;
            t->status = report.status;
            t->nothing_to_do = report.nothing_to_do();
          } catch (...) {
            std::lock_guard lock(mu_);
            running_.remove(&run);
            throw;
          }
          std::lock_guard lock(mu_);
          running_.remove(&run);
        } catch (const RunLocked& e) {
          t->status = "locked";
          t->error = e.what();
        } catch (const InputError& e) {
          t->status = "error";
          for (auto& d : e.diagnostics()) t->error += (t->error.empty() ? "" : "; ") + d.format();
          if (t->error.empty()) t->error = e.what();
        } catch (const std::exception& e) {
          t->status = "error";
          t->error = e.what();
        }
        report(*t);
        std::lock_guard lock(mu_);
        --active_;
        cv_.notify_all();
      });
    }
    for (auto& th : threads) th.join();
    {
      std::lock_guard lock(mu_);
      finished_ = true;
    }
    cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
  }

  int signal() const { return signal_; }

 private:
  static void report(const Tick& t) {
    if (t.status == "locked")
      spdlog::warn("backfill: {}: locked, skipped: {}", t.logical, t.error);
    else if (t.status == "error")
      spdlog::error("backfill: {}: did not run: {}", t.logical, t.error);
    else
      spdlog::info("backfill: {}: run {}: {}", t.logical, t.run_id,
                   t.nothing_to_do ? "nothing to do" : t.status);
  }

  sigset_t set_;
  std::thread watcher_;
  std::atomic<bool> finished_{false};
  std::atomic<int> signal_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  std::list<PipelineRun*> running_;
};

}  // namespace

int cmd_backfill(const std::vector<std::string>& argv) {
  Args args(argv, common_options({{"--from", true}, {"--to", true}, {"--max-active", true},
                                  {"--yes"}, {"--param", true, true}, {"--max-parallel", true},
                                  {"--force"}, {"--json"}, {"--state", true},
                                  {"--cancel-grace", true}}));
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positional().size() != 1) throw UsageError("backfill needs exactly one pipeline file");
  const Instant from = range_arg(args, "--from", false);
  const Instant to = range_arg(args, "--to", true);
  if (from > to)
    throw UsageError("--from (" + schedule::format_instant(from) + ") is after --to (" +
                     schedule::format_instant(to) + ")");
  const Millis grace = grace_arg(args);

  Runner runner;  // blocks the signals before any thread exists
  HostConfig host = load_config(args);
  setup_logging(args, host);
  auto spec = load_pipeline_file(args.positional()[0]);
  auto plugins = load_plugins(args, host);
  validate_pipeline(spec, *plugins);

  std::vector<std::pair<std::string, std::string>> params;
  for (auto& p : args.values("--param")) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--param needs KEY=VALUE, got '" + p + "'");
    std::string key = p.substr(0, eq);
    if (std::none_of(spec.params.begin(), spec.params.end(), [&](auto& kv) { return kv.first == key; }))
      throw UsageError("pipeline '" + spec.name + "' has no param '" + key + "'");
    params.emplace_back(std::move(key), p.substr(eq + 1));
  }
  const int max_active =
      positive(args, "--max-active", spec.schedule ? std::max(spec.schedule->max_active_runs, 1) : 1);
  const int max_parallel = positive(args, "--max-parallel", spec.max_parallel.value_or(host.max_parallel.value_or(0)));

  std::vector<Tick> ticks = plan(spec, from, to, kMaxTicksWithoutYes);
  if (ticks.size() > kMaxTicksWithoutYes && !args.flag("--yes"))
    throw UsageError("the range has more than " + std::to_string(kMaxTicksWithoutYes) +
                     " ticks; narrow it, or pass --yes");
  if (args.flag("--yes") && ticks.size() > kMaxTicksWithoutYes)
    ticks = plan(spec, from, to, std::numeric_limits<size_t>::max() - 1);
  spdlog::info("backfill: {}: {} tick(s) from {} to {}, at most {} at once", spec.name, ticks.size(),
               schedule::format_instant(from), schedule::format_instant(to), max_active);

  const bool force = args.flag("--force");
  auto pools = PoolSet::from(*host.pools);  // [pools]: shared by the runs of the backfill
  auto request = [&](const Tick& t, state::RunStore* store) {
    RunRequest req;
    req.spec = &spec;
    req.plugins = plugins.get();
    req.plugin_isolation = host.plugin_isolation;
    req.logical_date = t.logical;
    req.data_interval_start = t.interval_start;
    req.data_interval_end = t.interval_end;
    req.param_overrides = params;
    req.max_parallel = max_parallel;
    req.max_deferred = spec.max_deferred.value_or(host.max_deferred.value_or(0));
    req.cancel_grace = grace;
    req.force = force;
    if (host.scratch_dir) req.scratch_root = *host.scratch_dir;
    req.store = store;
    req.pools = pools.get();
    req.log_state_changes = spec.jobs.size() <= 1000 && !isatty(STDERR_FILENO) && max_active == 1;
    return req;
  };
  auto open = [&] { return open_store(args, host); };
  open();  // a store that cannot be opened is bad input (exit 2) before anything runs

  runner.watch_signals(grace);
  runner.run_all(ticks, max_active, request, open);

  std::map<std::string, int> counts;
  bool all_ok = true;
  boost::json::array runs;
  for (auto& t : ticks) {
    const std::string shown = t.nothing_to_do ? "nothing to do" : t.status;
    counts[shown]++;
    all_ok = all_ok && t.status == "success";
    const bool is_date = t.logical.find('T') == std::string::npos;
    boost::json::object o{{"logical", t.logical},
                          {"logical_time", is_date ? t.logical + "T00:00:00Z" : t.logical},
                          {"run_id", t.run_id.empty() ? boost::json::value(nullptr) : boost::json::value(t.run_id)},
                          {"status", t.status},
                          {"nothing_to_do", t.nothing_to_do}};
    if (!t.interval_start.empty()) {
      o["data_interval_start"] = t.interval_start;
      o["data_interval_end"] = t.interval_end;
    }
    o["error"] = t.error.empty() ? boost::json::value(nullptr) : boost::json::value(t.error);
    runs.push_back(std::move(o));
  }
  std::string line;
  for (auto& [k, v] : counts) line += " " + k + "=" + std::to_string(v);
  std::cerr << "backfill " << spec.name << " " << schedule::format_instant(from) << " .. "
            << schedule::format_instant(to) << ": " << ticks.size() << " tick(s)"
            << (ticks.empty() ? " (nothing to do)" : " —" + line) << "\n";
  if (args.flag("--json")) {
    boost::json::object counts_json;
    for (auto& [k, v] : counts) counts_json[k] = v;
    boost::json::object doc{{"pipeline", spec.name},
                            {"from", schedule::format_instant(from)},
                            {"to", schedule::format_instant(to)},
                            {"max_active", max_active},
                            {"status", runner.signal() ? "cancelled" : all_ok ? "success" : "failed"},
                            {"counts", std::move(counts_json)},
                            {"runs", std::move(runs)}};
    std::cout << boost::json::serialize(doc) << std::endl;
  }
  if (runner.signal()) return 128 + runner.signal();
  return all_ok ? kOk : kFailed;
}

}  // namespace jobhost::cli
