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
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "state/run_store.hpp"
#include "state/sqlite_handle.hpp"

namespace jobhost::state {

struct Change {
  enum class Kind { started, finished, settled, finish_run, callback };
  Kind kind = Kind::callback;
  std::string run_id;
  int try_number = 0;
  std::string job;
  int attempt = 0;
  std::string config_hash;
  JobState state = JobState::pending;
  std::string text;  // error (finished), reason (settled), status (finish_run)
  int64_t duration_ms = 0;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> outputs;
  std::string at;  // when the change was submitted: the event's time, not the commit's
  std::function<void()> callback;
};

class StoreWriter {
 public:
  // Takes ownership of `db`, a connection used only by the writer thread from now on.
  StoreWriter(sql::Db db, std::chrono::microseconds max_batch_delay);
  // Commits everything still queued, then joins the thread. Never throws.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Queues a change; order of submission is the order of application. [thread-safe]
  void submit(Change change);
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

 private:
  void loop();
  void apply_batch(std::vector<Change>& batch);
  // `start`: the attempt's `started` change from the same batch, written in the same row.
  void apply(const Change& c, const Change* start = nullptr);
  void record_error(const std::string& message);

  // Declared before the statements, which refer to it.
  sql::Db db_;
  struct Statements;
  std::unique_ptr<Statements> stmts_;
  std::chrono::microseconds max_batch_delay_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<Change> queue_;
  uint64_t submitted_ = 0;  // changes ever submitted
  uint64_t done_ = 0;       // changes committed (or failed) and whose callbacks have run
  int flush_waiters_ = 0;
  int callbacks_queued_ = 0;  // when_durable callbacks waiting: commit now, do not gather
  bool stop_ = false;
  std::optional<std::string> error_;
  std::atomic<int64_t> commits_{0};
  std::thread thread_;
};

}  // namespace jobhost::state
