// Runs a DAG of jobs on a thread pool: ready jobs by priority within max_parallel, trigger
// rules, retries with backoff on timers (never a sleeping worker), per-attempt timeouts
// with cooperative cancellation, fail_fast and external cancellation.
//
// Workers settle jobs themselves and hand newly ready dependants straight to the queue (or
// run one inline), so the per-job cost stays close to a bare thread pool's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline_spec.hpp"
#include "exec/attempt.hpp"
#include "state/run_store.hpp"

namespace jobhost {

using state::JobState;

struct ExecJob {
  std::string name;
  std::vector<uint32_t> preds;  // indices into the job list
  TriggerRule trigger = TriggerRule::all_success;
  RetryPolicy retry;
  std::optional<Millis> timeout;
  double priority = 0;  // higher first among ready jobs
  double rank = 0;      // tie-break after priority: e.g. the remaining critical path
  // Runs one attempt; must honour in.cancel / in.cancel_all. Called on a worker thread.
  // May fill in what the executor does not know (config, scratch_dir) before running.
  std::function<AttemptResult(AttemptInput&)> run;
  // Settled before the run starts (carried over from an earlier run, or not selected).
  std::optional<JobState> preset;
  std::map<std::string, std::string, std::less<>> preset_outputs;
};

struct ExecOptions {
  int max_parallel = 0;  // 0: number of cores
  bool fail_fast = false;
  std::string run_id, pipeline, logical_date, scratch_root;
  std::map<std::string, std::string, std::less<>> params;  // served as input "@params"
  // How long a cancelled or timed-out attempt may take to return before it is abandoned.
  Millis cancel_grace{5000};
  std::function<double()> unit_random;  // [0,1) for jitter; default: a seeded PRNG
};

struct JobOutcome {
  JobState state = JobState::pending;
  int attempts = 0;
  int64_t duration_ms = 0;  // first attempt start to last attempt end
  std::string error;
  std::map<std::string, double, std::less<>> metrics;
  std::map<std::string, std::string, std::less<>> outputs;
};

// Hooks for state recording and progress. Called from worker and timer threads,
// concurrently for different jobs; keep them short.
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  virtual void on_attempt_start(uint32_t /*job*/, int /*attempt*/) {}
  // An attempt ended; `state` is up_for_retry, success, failed, skipped or cancelled.
  virtual void on_attempt_end(uint32_t /*job*/, int /*attempt*/, JobState /*state*/,
                              const AttemptResult& /*result*/, int64_t /*duration_ms*/) {}
  // A job settled without (another) attempt: trigger rule, cancellation, preset.
  virtual void on_settled_without_run(uint32_t /*job*/, JobState /*state*/,
                                      const std::string& /*reason*/) {}
  // True when dependants of a succeeded job must wait for before_release() (a durable store
  // commits the success first). False lets the executor start them at once, inline, and
  // before_release() is never called: override both or neither.
  virtual bool holds_release() const { return false; }
  // Only called when holds_release(): dependants start once `release(executor, job)` is
  // called, once, from any thread. A plain function and context: nothing to allocate per job.
  using Release = void (*)(void* executor, uint64_t job);
  virtual void before_release(uint32_t job, Release release, void* executor) { release(executor, job); }
  // Only called when holds_release(), for a succeeded attempt whose job has dependants:
  // on_attempt_end() then before_release() in one call, so an observer can hand both to its
  // store as one change (the hot path of a durable run).
  virtual void on_success_held(uint32_t job, int attempt, const AttemptResult& result,
                               int64_t duration_ms, Release release, void* executor) {
    on_attempt_end(job, attempt, JobState::success, result, duration_ms);
    before_release(job, release, executor);
  }
};

enum class CancelReason { none, fail_fast, interrupted };

struct ExecResult {
  std::vector<JobOutcome> jobs;
  CancelReason cancelled = CancelReason::none;
  bool ok() const;  // every job succeeded or was skipped
};

class Executor {
 public:
  Executor(std::vector<ExecJob> jobs, ExecOptions options, ExecutionObserver* observer = nullptr);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs to completion (or cancellation); call once.
  ExecResult run();
  // Thread-safe; async-signal-unsafe (call from a watcher thread, not a signal handler).
  // Stops starting jobs, cancels running ones; pending jobs become cancelled.
  void cancel();

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace jobhost
