// Durable run state in one SQLite file (WAL): runs, job attempts, outputs, metrics, and the
// pipeline definition as it was run. One writer thread batches changes (group commit).
//
// A run is identified by (pipeline, logical_date): rerunning the same pair reuses the run
// row and appends attempts under a new `try_number`. `logical_date` here is the run's key as
// util/logical_time.hpp defines it: a date YYYY-MM-DD, or an instant YYYY-MM-DDTHH:MM:SSZ.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "state/commit_latency.hpp"
#include "util/attempt_usage.hpp"

namespace jobhost::state {

// Job states, as stored (lower-case names) and shown. `deferred`: an attempt waits for remote
// work without a thread (ABI 1.1); it is still in progress, like `running`.
enum class JobState {
  pending, running, up_for_retry, success, failed, upstream_failed, skipped, cancelled, deferred
};
const char* to_string(JobState s);
std::optional<JobState> job_state_from_string(std::string_view s);

// Opening or using the store failed in a way the user must fix (corrupt file, unwritable
// folder, schema newer than this jobhost). The message names the file. Exit code 2.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct StoreOptions {
  std::string path = ".jobhost/state.db";
  bool synchronous_full = false;  // default NORMAL (durable across process crashes in WAL)
  // Upper bound on how long the writer waits to gather a batch.
  std::chrono::microseconds max_batch_delay{2000};
};

// Who holds the run lock for a (pipeline, logical date).
struct LockHolder {
  int64_t pid = 0;
  std::string hostname;
  std::string started_at;  // ISO-8601 UTC
};

// A deferred attempt's facts, as recorded with it (ABI 1.1 deferral).
struct DeferredAttempt {
  int try_number = 0;
  int attempt = 0;
  std::string key;     // idempotency key
  std::string handle;
  int64_t started_ms = -1;    // Unix ms
  int64_t next_poll_ms = -1;  // Unix ms
  uint32_t polls = 0;
  std::string config_hash;
};

// What an earlier run left for one job: drives skipping on rerun.
struct PriorJob {
  JobState state = JobState::pending;
  std::string config_hash;  // hash of the job's definition when it last ran
  int attempts = 0;
  std::map<std::string, std::string> outputs;
  // Attempts that ran to an end, over all tries: lost ones (host lost) and one still deferred
  // are not counted. Attempt n of the next try has idempotency key number counted + n.
  int counted_attempts = 0;
  // Set when the job's newest attempt is deferred: its host was lost while it waited.
  std::optional<DeferredAttempt> deferred;
  // Its newest attempt that ran (for reports of a carried-over job): duration, metrics, and
  // handle and key when it deferred.
  int64_t last_duration_ms = 0;
  AttemptUsage usage{};
  std::map<std::string, double> metrics;
  bool has_handle = false;
  std::string handle, idempotency_key;
  uint32_t polls = 0;
};

struct RunSummary {
  std::string run_id;
  std::string pipeline;
  std::string logical_date;  // the key: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ
  // The key as an instant (a date's midnight UTC), and the data interval the run covers
  // (instants; a store from before version 7 gets a date's defaults, its UTC day).
  std::string logical_time, data_interval_start, data_interval_end;
  std::string status;      // running | success | failed | cancelled
  std::string started_at;  // ISO-8601 UTC
  std::string ended_at;    // empty while running
  int64_t duration_ms = 0;
  int try_number = 0;
  std::map<std::string, int> counts_by_state;
};

struct AttemptRecord {
  std::string run_id;
  std::string logical_date;  // the run's key, as in RunSummary
  std::string job;
  int try_number = 0;
  int attempt = 0;
  std::string state;  // final state of the attempt
  std::string started_at, ended_at;
  int64_t duration_ms = 0;
  std::string error;
  bool has_handle = false;  // deferred: its handle, key and polls (next poll while waiting)
  std::string handle, idempotency_key, next_poll_at;
  uint32_t polls = 0;
  AttemptUsage usage{};  // what it used; unknown when not recorded (older stores, lost attempts)
};

struct JobRecord {
  std::string job;
  std::string state;
  int attempts = 0;
  int64_t duration_ms = 0;  // of the last attempt
  AttemptUsage usage{};     // of the last attempt that ran
  std::string error;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> outputs;
  // Of the last attempt, when it deferred (has_handle): its handle, key, polls and, while it
  // waits, the next poll (ISO-8601 UTC).
  bool has_handle = false;
  std::string handle, idempotency_key, next_poll_at;
  uint32_t polls = 0;
  int try_attempts = 0;     // attempts in the latest try
  bool carried_over = false;  // settled as a success of an earlier try in the latest try
  bool in_latest_try = false; // recorded in the latest try (false: left out by --only)
};

struct RunDetail {
  RunSummary summary;
  std::string params_json;
  std::string file_hash;
  std::vector<JobRecord> jobs;
};

struct JobHistory {
  std::vector<AttemptRecord> attempts;  // newest first
  int64_t p50_ms = 0, p95_ms = 0;       // over successful attempts
  double failure_rate = 0;              // failed attempts / all finished attempts
};

struct RunBegin {
  std::string pipeline;
  std::string logical_date;  // the key, normalised (util/logical_time.hpp)
  std::string params_json;
  std::string file_hash;    // of the pipeline file's bytes
  std::string definition;   // the pipeline file text as run
  // Recorded with each try: the key as an instant and the data interval the try covers.
  // Empty: the key's defaults (default_data_interval).
  std::string logical_time{}, data_interval_start{}, data_interval_end{};
  std::string started_at{};  // ISO-8601 UTC; empty: now (a run prepared ahead: its start)
};

struct RunHandle {
  std::string run_id;
  int try_number = 1;
  bool existed = false;                     // an earlier try of this (pipeline, date) exists
  std::string previous_file_hash;           // empty when !existed
  std::string previous_status;              // the latest earlier try's; empty when !existed
  std::map<std::string, PriorJob> prior;    // job -> what earlier tries left
  int64_t interrupted_attempts = 0;         // attempts found `running` from a dead host
  // How that host ended when it left a crash record (state/crash_records.hpp): "host crashed
  // during job X: signal 11 (SIGSEGV)"; empty: it was simply lost. Set by begin_run.
  std::string crash;
  int64_t deferred_attempts = 0;            // attempts found deferred (re-attach or lose them)
  int64_t last_log_row = 0;  // newest attempt log row of the run when read (0: none)
  // The data interval the latest earlier try recorded (empty when !existed): a later try
  // that names none keeps it, so a resumed scheduled run keeps its interval.
  std::string data_interval_start, data_interval_end;
};

class RunStore {
 public:
  // Creates the folder and file when missing, migrates older schemas forward, refuses
  // newer ones. Throws StoreError with the path in the message.
  static std::unique_ptr<RunStore> open(const StoreOptions& options);
  virtual ~RunStore() = default;

  // Takes the lock for (pipeline, date) for this process. Returns the holder when another
  // LIVE process holds it (nothing taken); a stale lock (dead pid on this host) is taken over.
  virtual std::optional<LockHolder> try_lock(const std::string& pipeline,
                                             const std::string& logical_date) = 0;
  virtual void unlock(const std::string& pipeline, const std::string& logical_date) = 0;

  // Creates the run (or the next try of it) and reports what earlier tries left. Attempts
  // left `running` by a dead host are recorded as failed ("host lost").
  virtual RunHandle begin_run(const RunBegin& begin) = 0;
  // begin_run() right after peek_run() under the same run lock: may reuse what the peek read
  // instead of reading the earlier tries again (a resumed 100,000-job run reads them once).
  virtual RunHandle begin_run(const RunBegin& begin, RunHandle&& peeked) {
    (void)peeked;
    return begin_run(begin);
  }
  // What begin_run would find, without writing anything: the run's id, its latest try (not a
  // new one), what earlier tries left, and how many attempts are still marked running.
  // Nothing when (pipeline, date) has never run.
  virtual std::optional<RunHandle> peek_run(const std::string& pipeline,
                                            const std::string& logical_date) = 0;

  // Asynchronous, batched by the writer thread. Order is preserved.
  virtual void job_started(const std::string& run_id, int try_number, const std::string& job,
                           int attempt, const std::string& config_hash) = 0;
  // `deferred`: the end of an attempt that deferred; its key, handle and polls are recorded.
  // `usage`: what the attempt used (its known parts are recorded).
  virtual void job_finished(const std::string& run_id, int try_number, const std::string& job,
                            int attempt, JobState state, const std::string& error,
                            int64_t duration_ms, const std::map<std::string, double>& metrics,
                            const std::map<std::string, std::string>& outputs,
                            const DeferredAttempt* deferred = nullptr,
                            const AttemptUsage* usage = nullptr) = 0;
  // A job that never ran this try (skipped, upstream_failed, cancelled before start, or
  // carried over as success from an earlier try). `config_hash`: the job's definition in
  // this try (for a carried-over success, the same as when it succeeded).
  virtual void job_settled(const std::string& run_id, int try_number, const std::string& job,
                           JobState state, const std::string& reason,
                           const std::string& config_hash) = 0;
  virtual void finish_run(const std::string& run_id, const std::string& status) = 0;

  // An attempt deferred (again): its handle, key and next poll. `then` (may be empty) runs on
  // the writer thread once the change is committed: the caller starts waiting only after the
  // handle is durable. With `moved_from_try`, the attempt was taken over from that try: its
  // entry there is closed as moved, in the same commit.
  virtual void job_deferred(const std::string& run_id, int try_number, const std::string& job,
                            const DeferredAttempt& d, int moved_from_try,
                            std::function<void()> then) = 0;
  // A deferred attempt of try `d.try_number` that will not be re-attached: failed, "host lost".
  virtual void job_lost(const std::string& run_id, const std::string& job,
                        const DeferredAttempt& d) = 0;

  // Blocks until every change submitted before the call is committed (durable). Throws
  // StoreError when a write failed since the last flush (the failure is logged too).
  virtual void flush() = 0;
  // Calls `callback` (on the writer thread, quickly) once every change submitted before this
  // call is committed. Lets the executor release dependants of a success without blocking a
  // worker; many callbacks share one commit.
  virtual void when_durable(std::function<void()> callback) = 0;
  // The same without allocating: calls `fn(context, arg)` on the writer thread. For hot
  // paths (one call per job) where a std::function would need a heap block per call.
  using DurableFn = void (*)(void* context, uint64_t arg);
  virtual void when_durable(DurableFn fn, void* context, uint64_t arg) {
    when_durable(std::function<void()>([fn, context, arg] { fn(context, arg); }));
  }
  // job_finished(), then when_durable(fn, context, arg), as one change: a succeeded job's
  // end and the release of its dependants.
  virtual void job_finished_then(const std::string& run_id, int try_number,
                                 const std::string& job, int attempt, JobState state,
                                 const std::string& error, int64_t duration_ms,
                                 const std::map<std::string, double>& metrics,
                                 const std::map<std::string, std::string>& outputs,
                                 DurableFn fn, void* context, uint64_t arg,
                                 const DeferredAttempt* deferred = nullptr,
                                 const AttemptUsage* usage = nullptr) {
    job_finished(run_id, try_number, job, attempt, state, error, duration_ms, metrics, outputs,
                 deferred, usage);
    when_durable(fn, context, arg);
  }

  // Queries (read the committed state).
  virtual std::vector<RunSummary> list_runs(const std::optional<std::string>& pipeline,
                                            int limit) = 0;
  virtual std::optional<RunDetail> get_run(const std::string& run_id) = 0;
  virtual std::optional<std::string> find_run_id(const std::string& pipeline,
                                                 const std::string& logical_date) = 0;
  virtual JobHistory job_history(const std::string& pipeline, const std::string& job,
                                 int limit) = 0;
  virtual int schema_version() = 0;

  // The first write error (e.g. disk full) not yet reported by flush(). flush() throws it
  // as StoreError and clears it; when_durable callbacks still run so nothing waits forever.
  virtual std::optional<std::string> write_error() const { return std::nullopt; }
  // Writer transactions committed so far: lets tests and benchmarks check group commit.
  virtual int64_t commits() const { return 0; }
  // How long the writer's commits took (metrics).
  virtual CommitLatency commit_latency() const { return {}; }
};

// The schema version this build writes.
int current_schema_version();

}  // namespace jobhost::state
