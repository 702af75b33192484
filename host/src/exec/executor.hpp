// Runs a DAG of jobs on a thread pool: ready jobs by priority within max_parallel, trigger
// rules, retries with backoff on timers (never a sleeping worker), per-attempt timeouts
// with cooperative cancellation, fail_fast and external cancellation, and deferred attempts
// (ABI 1.1) that wait on a timer, not a thread, between brief polls. Jobs of a host-wide
// pool (resources/pool_set.hpp) wait for its slots in the pool, not on a worker.
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
class PoolSet;  // resources/pool_set.hpp

struct ExecJob {
  std::string name;
  std::vector<uint32_t> preds;  // indices into the job list
  TriggerRule trigger = TriggerRule::all_success;
  RetryPolicy retry;
  std::optional<Millis> timeout;
  double priority = 0;  // higher first among ready jobs
  double rank = 0;      // tie-break after priority: e.g. the remaining critical path
  // Each attempt holds `pool_slots` slots of ExecOptions::pools' pool number `pool` from
  // before it starts until it ends (a deferred attempt keeps them: its remote work goes on).
  // 0 slots: no pool. A job waiting for its slots holds no worker.
  uint32_t pool = 0;
  int pool_slots = 0;
  // Runs one attempt; must honour in.cancel / in.cancel_all. Called on a worker thread.
  // May fill in what the executor does not know (config, scratch_dir) before running.
  std::function<AttemptResult(AttemptInput&)> run;
  // Settled before the run starts (carried over from an earlier run, or not selected).
  std::optional<JobState> preset;
  std::map<std::string, std::string, std::less<>> preset_outputs;

  // Deferrable job types (ABI 1.1). poll: check a deferred attempt with its handle (null: the
  // job type never defers). cancel_remote: stop the work a handle names (null: nothing to stop).
  // Called on worker threads, like run; must honour in.cancel / in.cancel_all.
  std::function<AttemptResult(AttemptInput&, std::string_view handle)> poll;
  std::function<AttemptResult(AttemptInput&, std::string_view handle)> cancel_remote;
  // An attempt that a lost host left deferred, taken over when the run starts: it is polled
  // with its handle instead of being started again, and keeps its number and key.
  struct Reattach {
    int attempt = 1;
    std::string handle;
    std::string key;
    int64_t started_unix_ms = 0;
    int64_t next_poll_unix_ms = 0;
    uint32_t polls = 0;
    int from_try = 0;  // the try that started it
  };
  std::optional<Reattach> reattach;
  // Attempt n's idempotency key is IdempotencyKeys(run_id)(name, key_base + n):
  // key_base counts the job's attempts in earlier tries, so keys never repeat across tries.
  int64_t key_base = 0;
  // Its attempts end by themselves within the cancel grace once cancelled (a worker process is
  // stopped, then killed): never abandoned.
  bool stops_itself = false;
};

struct ExecOptions {
  int max_parallel = 0;  // 0: number of cores
  // Attempts of deferrable job types in progress at once (running or waiting); more wait in
  // the queue. Deferred attempts hold no worker and no max_parallel slot.
  int max_deferred = 10000;
  bool fail_fast = false;
  std::string run_id, pipeline, logical_date, scratch_root;
  int try_number = 0;  // the run's try, handed to attempts (crash records)
  std::map<std::string, std::string, std::less<>> params;  // served as input "@params"
  // How long a cancelled or timed-out attempt may take to return before it is abandoned.
  Millis cancel_grace{5000};
  std::function<double()> unit_random;  // [0,1) for jitter; default: a seeded PRNG
  // Host-wide pools shared with other runs (outlives the run); null: none.
  PoolSet* pools = nullptr;
  // No job starts before this instant (a scheduled run prepared ahead of its tick); its
  // threads are made before it. A cancel meanwhile ends the wait.
  std::optional<std::chrono::system_clock::time_point> start_at;
};

struct JobOutcome {
  JobState state = JobState::pending;
  int attempts = 0;
  int64_t duration_ms = 0;  // first attempt start to last attempt end
  int64_t last_attempt_ms = 0;  // the last attempt's own duration
  std::string error;
  // The last attempt's, when it deferred: its handle, idempotency key and number of polls.
  std::string handle, idempotency_key;
  uint32_t polls = 0;
  bool reattached = false;  // the last attempt was taken over from a lost host
  AttemptUsage usage{};     // the last attempt's (attempt.hpp)
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
  // An attempt deferred (again), or was taken over from a lost host (reattached_from_try).
  struct Deferral {
    int attempt = 0;
    std::string_view handle, key;
    int64_t started_unix_ms = 0;
    int64_t next_poll_unix_ms = 0;
    uint32_t polls = 0;
    bool handle_changed = false;  // a new handle: the wait starts once it is durable
    int reattached_from_try = 0;  // non-zero: first note of a taken-over attempt
  };
  // `start_wait` starts the wait for the next poll; call it exactly once, from any thread:
  // after the handle is durable when d.handle_changed and holds_release(), else at once.
  virtual void on_attempt_deferred(uint32_t /*job*/, const Deferral& /*d*/,
                                   std::function<void()> start_wait) {
    start_wait();
  }
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
  size_t peak_deferred = 0;  // most attempts deferred at once
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

  // The shared state (exec/executor_core.hpp), named here only for exec/'s own files.
  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace jobhost
