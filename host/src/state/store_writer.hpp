// The store's single writer: a queue of state changes drained by one thread that commits
// everything it finds in ONE transaction (group commit). While a batch commits, new changes
// gather for the next one, so a busy executor pays one fsync per batch, not per change.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "state/commit_latency.hpp"
#include "state/run_store.hpp"
#include "state/sqlite_handle.hpp"

namespace jobhost::state {

struct AttemptEntry;  // attempt_log.hpp

struct Change {
  enum class Kind : uint8_t { started, finished, settled, finish_run, callback, deferred, lost };
  Kind kind = Kind::callback;
  JobState state = JobState::pending;
  int try_number = 0;
  int attempt = 0;
  // Set by StoreWriter::submit: the run id, interned by the writer (one copy per run, not
  // per change). Null for callbacks.
  const std::string* run_id = nullptr;
  int64_t at_ms = 0;  // when the change was submitted (Unix ms): the event's time, not the commit's
  int64_t duration_ms = 0;
  AttemptUsage usage{};  // finished: what the attempt used (inline: nearly every end has it)
  std::string job;
  std::string config_hash;  // started, settled (finished: absorbed from its start)
  std::string text;  // error (finished), reason (settled), status (finish_run)
  // Rare payloads live out of line so the common change stays small to move.
  struct Payload {
    std::map<std::string, double> metrics;
    std::map<std::string, std::string> outputs;
    // deferred, lost, and the end (finished) of an attempt that deferred.
    bool has_deferral = false;
    DeferredAttempt deferral;
    int moved_from_try = 0;  // deferred: close the attempt's entry in that try as moved
  };
  // finished: null when both maps are empty and it never deferred; deferred and lost: set.
  std::unique_ptr<Payload> payload;
  // when_durable's callback, or a deferred change's `then`: run after the commit.
  std::function<void()> callback;
  // callback without allocation: fn(context, arg). Also on a finished change, run after the
  // commit that writes it (job_finished_then).
  RunStore::DurableFn fn = nullptr;
  void* context = nullptr;
  uint64_t arg = 0;
  // A `finished` (or `deferred`) that absorbed its attempt's `started` before the writer took
  // it: one row with both times. config_hash then comes from the start.
  int64_t started_at_ms = -1;
};

class StoreWriter {
 public:
  // Takes ownership of `db`, a connection used only by the writer thread from now on.
  StoreWriter(sql::Db db, std::chrono::microseconds max_batch_delay);
  // Commits everything still queued, then joins the thread. Never throws.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Queues a change about run `run_id` (empty for callbacks); order of submission is the
  // order of application. [thread-safe]
  void submit(Change&& change, const std::string& run_id);
  // Blocks until every change submitted before the call is committed and every callback
  // before it has run. Must not be called from a when_durable callback (it would wait for
  // itself): that throws std::logic_error.
  void drain();
  // drain(), then throws StoreError when a write failed since the last flush() (the first
  // such error; reporting it clears it, so a long-lived host can go on after, e.g., the disk
  // was freed).
  void flush();

  // The first write error not yet reported by flush().
  std::optional<std::string> error() const;
  int64_t commits() const { return commits_.load(); }
  CommitLatency commit_latency() const { return commit_latency_.snapshot(); }

 private:
  void loop();
  void apply_batch(std::vector<Change>& batch);
  void apply(const Change& c);
  void apply_deferred(const Change& c, AttemptEntry& e);
  // The entries (a JSON array being built) of c's run's log row in this batch.
  std::string& log_of(const Change& c);
  // Writes each run's entries of this batch as one attempt_log row.
  void write_logs();
  // Under mu_: folds the attempt's held `started` into `finished`, if still held.
  void absorb_start(Change& finished);
  // Under mu_: the writer's copy of `run_id`, kept while queued changes refer to it.
  const std::string* intern_run_id(const std::string& run_id);
  void prune_run_ids(uint64_t done);
  void record_error(const std::string& message);

  // Writer thread only: this batch's log rows, one per run (buffers reused across batches).
  struct RunLog {
    const std::string* run_id = nullptr;
    const Change* first = nullptr;  // names the entries in an error message
    size_t count = 0;
    std::string entries;
  };
  std::vector<RunLog> logs_;
  size_t logs_used_ = 0;
  // Writer thread only: attempts whose start is written but not their end. The end's entry
  // repeats the start time and config hash.
  struct Start {
    int64_t at_ms = 0;
    std::string config_hash;
  };
  std::map<std::tuple<std::string, int, std::string, int>, Start> running_;
  std::vector<const std::string*> finished_runs_;  // runs finished in this batch
  void forget_finished_runs();

  // Declared before the statements, which refer to it.
  sql::Db db_;
  struct Statements;
  std::unique_ptr<Statements> stmts_;
  std::chrono::microseconds max_batch_delay_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<Change> queue_;
  std::vector<Change> batch_;  // the batch being applied; swapped with queue_, keeps capacity
  // `started` changes the writer has not taken yet. Most attempts of a busy run end before
  // the next batch: their end absorbs the start (one change, one row, no work for the
  // writer). Taken with every batch, so a long attempt's start is written within one
  // gathering delay. As many as attempts started since the last batch and still running.
  std::vector<Change> held_starts_;
  struct RunId {
    std::unique_ptr<std::string> id;
    uint64_t last_use;  // submission number of the last change referring to it
  };
  std::vector<RunId> run_ids_;  // guarded by mu_
  uint64_t submitted_ = 0;  // changes ever submitted
  uint64_t done_ = 0;       // changes committed (or failed) and whose callbacks have run
  int flush_waiters_ = 0;
  int callbacks_queued_ = 0;  // when_durable callbacks waiting: commit now, do not gather
  bool stop_ = false;
  std::optional<std::string> error_;
  std::atomic<int64_t> commits_{0};
  CommitLatencyRecorder commit_latency_;
  std::thread thread_;
};

}  // namespace jobhost::state
