#include "state/store_writer.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

#include "state/attempt_log.hpp"
#include "state/clock.hpp"

namespace jobhost::state {
namespace {

// Beyond this many queued changes the writer stops waiting for more and commits.
constexpr size_t kBatchTarget = 1024;
// Interned run ids kept without pruning (a host usually runs one run at a time).
constexpr size_t kRunIdsKept = 8;

// Names a change in error messages: which call, run, job and attempt.
std::string describe(const Change& c) {
  static const char* kNames[] = {"job_started", "job_finished", "job_settled", "finish_run",
                                 "when_durable", "job_deferred", "job_lost"};
  std::string s = std::string(kNames[static_cast<int>(c.kind)]) + " (run '" +
                  (c.run_id ? *c.run_id : std::string()) + "'";
  if (!c.job.empty()) s += ", job '" + c.job + "', try " + std::to_string(c.try_number);
  if (c.attempt > 0) s += ", attempt " + std::to_string(c.attempt);
  return s + ")";
}

// Same job attempt (run, try, job, attempt)? Run ids are interned: equal text is usually the
// same pointer.
bool same_attempt(const Change& a, const Change& b) {
  return a.attempt == b.attempt && a.try_number == b.try_number && a.job == b.job &&
         (a.run_id == b.run_id || *a.run_id == *b.run_id);
}

}  // namespace

// Attempts become entries of the batch's log row of their run (attempt_log.hpp); metrics,
// outputs and run status are plain rows.
struct StoreWriter::Statements {
  explicit Statements(const sql::Db& db)
      : log_row(db, kInsertLogRow),
        metric(db,
               "INSERT OR REPLACE INTO job_metrics(run_id, job, try_number, attempt, name, value) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"),
        clear_outputs(db, "DELETE FROM job_outputs WHERE run_id = ?1 AND job = ?2"),
        output(db,
               "INSERT OR REPLACE INTO job_outputs(run_id, job, key, value) "
               "VALUES(?1, ?2, ?3, ?4)"),
        finish_run(db, "UPDATE runs SET status = ?2, ended_at = ?3 WHERE id = ?1") {}
  sql::Stmt log_row, metric, clear_outputs, output, finish_run;
};

StoreWriter::StoreWriter(sql::Db db, std::chrono::microseconds max_batch_delay)
    : db_(std::move(db)),
      stmts_(std::make_unique<Statements>(db_)),
      max_batch_delay_(max_batch_delay),
      thread_([this] { loop(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  thread_.join();
  if (error_) spdlog::error("run store: changes were lost: {}", *error_);
}

const std::string* StoreWriter::intern_run_id(const std::string& run_id) {
  for (auto it = run_ids_.rbegin(); it != run_ids_.rend(); ++it)
    if (*it->id == run_id) {
      it->last_use = submitted_;
      return it->id.get();
    }
  run_ids_.push_back({std::make_unique<std::string>(run_id), submitted_});
  return run_ids_.back().id.get();
}

void StoreWriter::prune_run_ids(uint64_t done) {
  // Changes up to `done` are applied and destroyed: ids they alone used can go.
  if (run_ids_.size() <= kRunIdsKept) return;
  std::erase_if(run_ids_, [&](const RunId& r) { return r.last_use <= done; });
}

void StoreWriter::absorb_start(Change& finished) {
  for (size_t i = held_starts_.size(); i-- > 0;) {
    Change& start = held_starts_[i];
    if (!same_attempt(start, finished)) continue;
    finished.started_at_ms = start.at_ms;
    finished.config_hash = std::move(start.config_hash);
    if (i + 1 != held_starts_.size()) start = std::move(held_starts_.back());
    held_starts_.pop_back();
    return;
  }
}

void StoreWriter::submit(Change&& change, const std::string& run_id) {
  bool wake;
  {
    std::lock_guard lk(mu_);
    ++submitted_;
    const bool is_callback = change.kind == Change::Kind::callback;
    if (!is_callback) change.run_id = intern_run_id(run_id);
    // A finished or deferred change may carry a callback of its own.
    const bool has_callback = change.fn != nullptr || is_callback || change.callback != nullptr;
    if (change.kind == Change::Kind::started) {
      held_starts_.push_back(std::move(change));
      wake = queue_.empty() && held_starts_.size() == 1;  // starts the gathering delay
    } else {
      if ((change.kind == Change::Kind::finished || change.kind == Change::Kind::deferred) &&
          !held_starts_.empty())
        absorb_start(change);
      queue_.push_back(std::move(change));
      if (has_callback) ++callbacks_queued_;
      wake = queue_.size() == 1 || queue_.size() == kBatchTarget || has_callback;
    }
  }
  if (wake) work_cv_.notify_one();
}

void StoreWriter::drain() {
  if (std::this_thread::get_id() == thread_.get_id())
    throw std::logic_error("run store: flush() called from a when_durable callback");
  std::unique_lock lk(mu_);
  const uint64_t target = submitted_;
  if (done_ < target) {
    ++flush_waiters_;
    work_cv_.notify_one();  // skip the batching delay: someone is waiting
    done_cv_.wait(lk, [&] { return done_ >= target; });
    --flush_waiters_;
  }
}

void StoreWriter::flush() {
  drain();
  std::lock_guard lk(mu_);
  if (error_) throw StoreError(*std::exchange(error_, std::nullopt));
}

std::optional<std::string> StoreWriter::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

void StoreWriter::record_error(const std::string& message) {
  spdlog::error("run store write failed: {}", message);
  std::lock_guard lk(mu_);
  if (!error_) error_ = message;
}

void StoreWriter::loop() {
  pthread_setname_np(pthread_self(), "jobhost-store");  // for top -H, perf and gdb
  std::unique_lock lk(mu_);
  for (;;) {
    work_cv_.wait(lk, [&] { return stop_ || !queue_.empty() || !held_starts_.empty(); });
    if (queue_.empty() && held_starts_.empty()) return;  // stopping, and everything is written
    // Gather a bigger batch unless someone waits for it now.
    // A queued when_durable callback is a waiter too: dependants are held until it runs.
    if (!stop_ && flush_waiters_ == 0 && callbacks_queued_ == 0 && queue_.size() < kBatchTarget &&
        max_batch_delay_.count() > 0) {
      work_cv_.wait_for(lk, max_batch_delay_, [&] {
        return stop_ || flush_waiters_ > 0 || callbacks_queued_ > 0 || queue_.size() >= kBatchTarget;
      });
    }
    // Double buffer: the queue takes the emptied batch vector and its capacity, so neither
    // regrows batch after batch.
    batch_.swap(queue_);
    // Starts still held belong to attempts still running: written now. Any later change of
    // theirs is submitted after this point, so it lands in a later batch.
    for (auto& start : held_starts_) batch_.push_back(std::move(start));
    held_starts_.clear();
    callbacks_queued_ = 0;
    const uint64_t upto = submitted_;
    lk.unlock();
    apply_batch(batch_);
    batch_.clear();  // frees the changes here, not under the lock
    lk.lock();
    done_ = upto;
    prune_run_ids(upto);
    done_cv_.notify_all();
  }
}

void StoreWriter::apply_batch(std::vector<Change>& batch) {
  bool has_writes = false;
  for (auto& c : batch) has_writes |= c.kind != Change::Kind::callback;
  if (has_writes) {
    try {
      const auto began = std::chrono::steady_clock::now();
      sql::Transaction tx(db_);
      logs_used_ = 0;
      finished_runs_.clear();  // pointers of an earlier, failed batch may be gone
      for (auto& c : batch) {
        if (c.kind == Change::Kind::callback) continue;
        try {
          apply(c);
        } catch (const StoreError& e) {
          // A bad change (e.g. an unknown run id) fails alone; the rest of the batch is
          // still written. When SQLite rolled the whole transaction back (disk full, I/O
          // error), the batch is lost and we stop here.
          record_error(describe(c) + ": " + e.what());
          if (sqlite3_get_autocommit(db_.get())) throw;
        }
      }
      write_logs();
      tx.commit();
      commit_latency_.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
      forget_finished_runs();
      commits_.fetch_add(1);
    } catch (const StoreError& e) {
      record_error(std::string(e.what()) + " (" + std::to_string(batch.size()) +
                   " queued changes not written)");
    }
  }
  // Callbacks run even after a failed write so the executor never waits forever; it learns
  // about the failure from write_error() or its next flush().
  for (auto& c : batch) {
    if (!c.fn && !c.callback) continue;
    try {
      if (c.fn)
        c.fn(c.context, c.arg);
      else
        c.callback();
    } catch (const std::exception& e) {
      spdlog::error("run store: a when_durable callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("run store: a when_durable callback threw");
    }
  }
}

void StoreWriter::forget_finished_runs() {
  // Attempts a finished run abandoned (a plugin that never returned) keep no start here. After
  // the batch: a start of the same batch may come after its run's finish_run.
  for (const std::string* run_id : finished_runs_)
    std::erase_if(running_, [&](const auto& r) { return std::get<0>(r.first) == *run_id; });
  finished_runs_.clear();
}

std::string& StoreWriter::log_of(const Change& c) {
  for (size_t i = logs_used_; i-- > 0;) {
    RunLog& log = logs_[i];
    if (log.run_id != c.run_id && *log.run_id != *c.run_id) continue;
    if (log.count == kMaxEntriesPerRow) break;  // full: the run's next row
    ++log.count;
    return log.entries;
  }
  if (logs_used_ == logs_.size()) logs_.emplace_back();
  RunLog& log = logs_[logs_used_++];
  log.run_id = c.run_id;
  log.first = &c;
  log.count = 1;
  log.entries.assign("[");  // keeps the capacity of earlier batches
  return log.entries;
}

void StoreWriter::write_logs() {
  for (size_t i = 0; i < logs_used_; ++i) {
    RunLog& log = logs_[i];
    log.entries.push_back(']');
    try {
      insert_log_row(stmts_->log_row, *log.run_id, log.entries);
    } catch (const StoreError& e) {
      // An unknown run id fails its run's entries alone, as a bad change does.
      record_error(std::to_string(log.count) + " job attempt change(s) starting with " +
                   describe(*log.first) + ": " + e.what());
      if (sqlite3_get_autocommit(db_.get())) throw;
    }
  }
}

// A deferred attempt: its entry repeats the start (absorbed, or the one held in running_) and
// stays in running_ so that its end is complete too. A take-over first closes the attempt's
// entry in the try it came from.
void StoreWriter::apply_deferred(const Change& c, AttemptEntry& e) {
  const DeferredAttempt& d = c.payload->deferral;
  const std::string& run_id = *c.run_id;
  e.attempt = d.attempt;
  e.state = to_string(JobState::deferred);
  // The start as recorded (absorbed now, or written earlier) wins over the executor's clock
  // reading: every entry of the attempt shows the same start.
  e.started_ms = d.started_ms;
  e.config_hash = d.config_hash;
  if (c.started_at_ms >= 0) {
    e.started_ms = c.started_at_ms;
    e.config_hash = c.config_hash;
  } else if (auto it = running_.find({run_id, c.try_number, c.job, d.attempt}); it != running_.end()) {
    e.started_ms = it->second.at_ms;
  }
  e.key = d.key;
  e.handle = &d.handle;
  e.next_poll_ms = d.next_poll_ms;
  e.polls = d.polls;
  if (c.payload->moved_from_try) {
    AttemptEntry moved = e;
    moved.try_number = c.payload->moved_from_try;
    moved.state = kMovedState;
    moved.next_poll_ms = -1;
    moved.moved_to = c.try_number;
    append_entry(log_of(c), moved);
  }
  append_entry(log_of(c), e);
  running_[{run_id, c.try_number, c.job, d.attempt}] = {e.started_ms, std::string(e.config_hash)};
}

// Text is bound by reference (no copy): the change outlives each statement's run().
void StoreWriter::apply(const Change& c) {
  auto& s = *stmts_;
  const std::string& run_id = *c.run_id;
  AttemptEntry e;
  e.try_number = c.try_number;
  e.job = c.job;
  e.attempt = c.attempt;
  switch (c.kind) {
    case Change::Kind::started:
      e.state = to_string(JobState::running);
      e.started_ms = c.at_ms;
      e.config_hash = c.config_hash;
      append_entry(log_of(c), e);
      // Its end will repeat the start time and config hash: every entry is complete.
      running_[{run_id, c.try_number, c.job, c.attempt}] = {c.at_ms, c.config_hash};
      break;
    case Change::Kind::finished: {
      e.started_ms = c.started_at_ms;  // set when it absorbed its `started`
      e.config_hash = c.config_hash;
      std::string held_hash;
      if (e.started_ms < 0) {
        auto it = running_.find({run_id, c.try_number, c.job, c.attempt});
        if (it != running_.end()) {
          e.started_ms = it->second.at_ms;
          held_hash = std::move(it->second.config_hash);
          e.config_hash = held_hash;
          running_.erase(it);
        }
      }
      e.state = to_string(c.state);
      e.ended_ms = c.at_ms;
      e.duration_ms = c.duration_ms;
      e.error = c.text;
      e.usage = c.usage;
      if (c.payload && c.payload->has_deferral) {
        const DeferredAttempt& d = c.payload->deferral;
        e.key = d.key;
        e.handle = &d.handle;
        e.polls = d.polls;
        if (e.started_ms < 0) e.started_ms = d.started_ms;
        if (e.config_hash.empty()) e.config_hash = d.config_hash;
      }
      append_entry(log_of(c), e);
      // The latest attempt's outputs replace earlier ones: stale keys must not leak into
      // downstream jobs of a rerun.
      // Nothing to clear before a job's very first attempt of the run.
      if (c.try_number > 1 || c.attempt > 1) {
        s.clear_outputs.bind_ref(1, run_id).bind_ref(2, c.job);
        s.clear_outputs.run();
      }
      if (c.payload) {
        for (auto& [name, value] : c.payload->metrics) {
          s.metric.bind_ref(1, run_id).bind_ref(2, c.job).bind(3, c.try_number);
          s.metric.bind(4, c.attempt).bind_ref(5, name).bind(6, value);
          s.metric.run();
        }
        for (auto& [key, value] : c.payload->outputs) {
          s.output.bind_ref(1, run_id).bind_ref(2, c.job).bind_ref(3, key).bind_ref(4, value);
          s.output.run();
        }
      }
      break;
    }
    case Change::Kind::deferred:
      apply_deferred(c, e);
      break;
    case Change::Kind::lost: {
      const DeferredAttempt& d = c.payload->deferral;
      e.try_number = d.try_number;
      e.attempt = d.attempt;
      e.state = to_string(JobState::failed);
      e.started_ms = d.started_ms;
      e.ended_ms = c.at_ms;
      e.error = kHostLost;
      e.config_hash = d.config_hash;
      e.key = d.key;
      e.handle = &d.handle;
      e.polls = d.polls;
      e.lost = true;
      append_entry(log_of(c), e);
      break;
    }
    case Change::Kind::settled:
      e.attempt = 0;
      e.state = to_string(c.state);
      e.ended_ms = c.at_ms;
      e.error = c.text;
      e.config_hash = c.config_hash;
      append_entry(log_of(c), e);
      break;
    case Change::Kind::finish_run: {
      finished_runs_.push_back(c.run_id);
      const std::string at = iso_utc(c.at_ms);
      s.finish_run.bind_ref(1, run_id).bind_ref(2, c.text).bind_ref(3, at);
      s.finish_run.run();
      if (sqlite3_changes(db_.get()) == 0)
        throw StoreError("state store " + db_.path() + ": finish_run: no run with id '" +
                         run_id + "'");
      break;
    }
    case Change::Kind::callback:
      break;
  }
}

}  // namespace jobhost::state
