// jobhost run FILE ...   and   jobhost run-job FILE JOB --date D
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/run_document.hpp"
#include "config/pipeline_loader.hpp"
#include "exec/crash_guard.hpp"
#include "exec/pipeline_run.hpp"
#include "resources/pool_set.hpp"
#include "state/crash_records.hpp"

namespace jobhost::cli {
namespace {

const char* kRunHelp = R"(usage: jobhost run FILE [options]

Runs a pipeline for a logical date or time. Jobs that succeeded in an earlier run of the
same (pipeline, date or time) are not run again; failed, cancelled and never-started ones are.

  --date D              logical date YYYY-MM-DD (default: today, UTC), or logical time as
                        an ISO instant: 2026-12-01T13:00:00Z, or with an offset (+01:00)
  --data-interval S/E   the data interval the run covers, two instants (default: what the
                        run recorded before, else the date's UTC day, or [time, time])
  --param KEY=VALUE     override a [pipeline.params] default (repeatable)
  --max-parallel N      jobs running at once (default: pipeline, host config, cores)
  --max-deferred N      attempts of deferrable job types in progress at once, running
                        or deferred (default: pipeline, host config, 10000)
  --only JOB            run only this job (repeatable); others are left as they are
  --force               rerun every job
  --force-job JOB       rerun this job and everything downstream (repeatable)
  --json                print one JSON object with the result on stdout
  --state PATH          run store (default: $JOBHOST_STATE, host config, .jobhost/state.db)
  --no-state            keep state in memory only (no resume)
  --plugin-path DIR     load plugins from DIR (repeatable)
  --config FILE         host config (default: $JOBHOST_CONFIG, ./jobhost.toml)
  --log-level LEVEL     trace, debug, info, warn, error, off
  --cancel-grace DUR    how long cancelled jobs may take to stop (default 5s)

Exit codes: 0 success, 1 a job failed, 2 bad input, 3 internal error, 130/143 interrupted.
)";

// Blocks SIGINT/SIGTERM in every thread (call before any thread starts) and turns them into a
// cancellation from a watcher thread. A second signal, or jobs still running after the grace
// period, ends the process at once with the states recorded so far.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  void start(PipelineRun& run, Millis grace, state::RunStore* store) {
    thread_ = std::thread([this, &run, grace, store] {
      timespec tick{0, 100 * 1000 * 1000};
      while (!done_) {
        int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig <= 0) continue;
        if (signal_ != 0) _exit(128 + sig);  // second signal: no more waiting
        signal_ = sig;
        spdlog::warn("received {}: cancelling running jobs, starting no new ones",
                     sig == SIGINT ? "SIGINT" : "SIGTERM");
        run.cancel();
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, grace + std::chrono::milliseconds(500), [&] { return done_.load(); })) {
          spdlog::error("jobs did not stop within the grace period; exiting");
          if (store) store->flush();
          _exit(128 + sig);
        }
      }
    });
  }
  void finish() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  int signal() const { return signal_; }

 private:
  sigset_t set_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<int> signal_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

// A live "done/total, running, failed, elapsed" line on a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(size_t total)
      : total_(total), enabled_(isatty(STDERR_FILENO)), phase_(enabled_ ? total : 0) {}
  // Called concurrently for different jobs; a job's own calls are ordered.
  void on_state(uint32_t job, JobState s) {
    if (!enabled_) return;
    const Phase now = s == JobState::running ? kRunning : s == JobState::deferred ? kWaiting : kIdle;
    switch (phase_[job].exchange(now)) {
      case kRunning: --running_; break;
      case kWaiting: --waiting_; break;
      default: break;
    }
    if (now == kRunning) ++running_;
    if (now == kWaiting) ++waiting_;
    if (now != kIdle || s == JobState::up_for_retry) return;
    ++done_;
    if (s == JobState::failed || s == JobState::upstream_failed) ++failed_;
  }
  void start() {
    if (!enabled_) return;
    start_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; })) draw();
    });
  }
  void stop() {
    if (!enabled_) return;
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    draw();
    std::fprintf(stderr, "\n");
  }

 private:
  void draw() {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r\033[K[%zu/%zu] running %d, deferred %d, failed %d, %.1fs", done_.load(),
                 total_, running_.load(), waiting_.load(), failed_.load(), s);
  }
  size_t total_;
  bool enabled_;
  std::atomic<size_t> done_{0};
  std::atomic<int> running_{0}, waiting_{0}, failed_{0};
  enum Phase : uint8_t { kIdle, kRunning, kWaiting };
  std::vector<std::atomic<uint8_t>> phase_;  // per job: what it counts in
  std::chrono::steady_clock::time_point start_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

void print_summary(const RunReport& r, const PipelineSpec& spec) {
  if (r.nothing_to_do()) {
    bool all_succeeded = std::all_of(r.exec.jobs.begin(), r.exec.jobs.end(),
                                     [](const JobOutcome& j) { return j.state == JobState::success; });
    if (all_succeeded)
      std::cerr << "nothing to do: all " << r.names.size() << " jobs of " << r.pipeline << " for "
                << r.logical_date << " succeeded in an earlier run (use --force to rerun)\n";
    else  // --only: the selected jobs had succeeded; the others were left as they are
      std::cerr << "nothing to do: the selected jobs of " << r.pipeline << " for " << r.logical_date
                << " succeeded in an earlier run (use --force-job to rerun them)\n";
    return;
  }
  std::map<std::string, int> counts;
  for (auto& j : r.exec.jobs) counts[state::to_string(j.state)]++;
  std::cerr << "run " << r.run_id << " (" << r.pipeline << ", " << r.logical_date << ", try "
            << r.try_number << "): " << r.status << " in " << r.duration_ms << " ms —";
  for (auto& [k, v] : counts) std::cerr << " " << k << "=" << v;
  std::cerr << "\n";
  if (spec.jobs.size() > 1000) return;
  for (size_t i = 0; i < r.names.size(); ++i) {
    auto& j = r.exec.jobs[i];
    if (j.state == JobState::failed || j.state == JobState::upstream_failed || j.state == JobState::cancelled)
      std::cerr << "  " << r.names[i] << ": " << state::to_string(j.state)
                << (j.error.empty() ? "" : ": " + j.error) << "\n";
  }
}

Millis run_grace(const Args& args) {
  if (auto v = args.value("--cancel-grace")) {
    auto d = parse_duration(*v);
    if (!d) throw UsageError("--cancel-grace must be a duration like 5s");
    return *d;
  }
  return Millis(5000);
}

// A limit from the option, else the pipeline, else the host config; 0 when none says.
int limit(const Args& args, const char* option, std::optional<int> pipeline,
          std::optional<int> host) {
  if (auto v = args.value(option)) {
    int n = 0;
    try {
      n = std::stoi(*v);
    } catch (...) {
    }
    if (n < 1) throw UsageError(std::string(option) + " must be a positive integer");
    return n;
  }
  return pipeline.value_or(host.value_or(0));
}

int run_common(const Args& args, const std::string& file, std::vector<std::string> only,
               std::vector<std::string> force_jobs, const std::string& date,
               bool reattach_forced = false) {
  SignalWatcher signals;  // before any thread exists
  HostConfig host = load_config(args);
  setup_logging(args, host);
  auto spec = load_pipeline_file(file);
  auto plugins = load_plugins(args, host);
  validate_pipeline(spec, *plugins);

  RunRequest req;
  req.spec = &spec;
  req.plugins = plugins.get();
  req.plugin_isolation = host.plugin_isolation;
  req.logical_date = date;
  if (auto v = args.value("--data-interval")) {
    auto slash = v->find('/');
    if (slash == std::string::npos)
      throw UsageError("--data-interval needs START/END (two ISO instants), got '" + *v + "'");
    req.data_interval_start = v->substr(0, slash);  // checked by the run, with the date
    req.data_interval_end = v->substr(slash + 1);
  }
  for (auto& p : args.values("--param")) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--param needs KEY=VALUE, got '" + p + "'");
    req.param_overrides.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  req.max_parallel = limit(args, "--max-parallel", spec.max_parallel, host.max_parallel);
  req.max_deferred = limit(args, "--max-deferred", spec.max_deferred, host.max_deferred);
  req.cancel_grace = run_grace(args);
  req.only = std::move(only);
  req.force = args.flag("--force");
  req.force_jobs = std::move(force_jobs);
  req.reattach_forced = reattach_forced;
  if (host.scratch_dir) req.scratch_root = *host.scratch_dir;
  std::unique_ptr<state::RunStore> store;
  if (!args.flag("--no-state")) store = open_store(args, host);
  req.store = store.get();
  auto pools = PoolSet::from(*host.pools);  // [pools]: within this process, this run
  req.pools = pools.get();
  // A job that kills the process (thread mode) is named on stderr and in a crash record.
  crash_guard::install(store ? state::crash_dir_for_store(state_path(args, host)) : "");
  req.log_state_changes = spec.jobs.size() <= 1000 && !isatty(STDERR_FILENO);
  ProgressLine progress(spec.jobs.size());
  req.on_state = [&progress](uint32_t job, JobState s) { progress.on_state(job, s); };

  PipelineRun run(std::move(req));
  signals.start(run, run_grace(args), store.get());
  progress.start();
  RunReport report;
  try {
    report = run.run();
  } catch (...) {
    progress.stop();
    signals.finish();
    throw;
  }
  progress.stop();
  signals.finish();
  for (auto& n : report.notices) spdlog::warn("{}", n);
  print_summary(report, spec);
  if (args.flag("--json")) std::cout << run_document(report) << std::endl;
  if (signals.signal()) return 128 + signals.signal();
  return report.status == "success" ? kOk : kFailed;
}

}  // namespace

namespace {
std::vector<OptionSpec> run_options() {
  return common_options({{"--param", true, true}, {"--date", true}, {"--data-interval", true},
                         {"--max-parallel", true},
                         {"--max-deferred", true},
                         {"--only", true, true}, {"--json"}, {"--state", true}, {"--no-state"},
                         {"--force"}, {"--force-job", true, true}, {"--cancel-grace", true}});
}
std::string date_arg(const Args& args) {
  return logical_time_arg(args.value("--date").value_or(today_utc()));
}
}  // namespace

int cmd_run(const std::vector<std::string>& argv) {
  Args args(argv, run_options());
  if (args.flag("--help")) {
    std::cout << kRunHelp;
    return kOk;
  }
  if (args.positional().size() != 1) throw UsageError("run needs exactly one pipeline file");
  return run_common(args, args.positional()[0], args.values("--only"), args.values("--force-job"),
                    date_arg(args));
}

int cmd_run_job(const std::vector<std::string>& argv) {
  Args args(argv, run_options());
  if (args.flag("--help")) {
    std::cout << "usage: jobhost run-job FILE JOB --date D [run options]\n\n"
                 "Runs exactly one job of the pipeline (even if it succeeded before), with its\n"
                 "upstream outputs from the run store, and records it. Engines that run exported\n"
                 "pipelines call this for each task.\n";
    return kOk;
  }
  if (args.positional().size() != 2) throw UsageError("run-job needs a pipeline file and a job name");
  if (!args.value("--date")) throw UsageError("run-job needs --date");
  auto& job = args.positional()[1];
  // An engine retrying this task after the host was lost gets the work already started.
  return run_common(args, args.positional()[0], {job}, {job}, date_arg(args), true);
}

}  // namespace jobhost::cli
