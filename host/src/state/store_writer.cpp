#include "state/store_writer.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string_view>
#include <utility>

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
                                 "when_durable"};
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

// The ISO-8601 text of a change's time, formatted on the writer thread.
struct Stamp {
  explicit Stamp(int64_t unix_ms) { format_iso_utc(unix_ms, buf); }
  std::string_view view() const { return {buf, kIsoUtcLength}; }
  char buf[kIsoUtcLength + 1];
};

}  // namespace

// Without UNIQUE on attempts (schema v3) nothing is an upsert: an attempt number is never
// reused within a try, so `started` inserts; `finished` updates the row its `started` wrote
// in an earlier batch (found through attempts_by_run_job), or inserts when there is none.
struct StoreWriter::Statements {
  explicit Statements(const sql::Db& db)
      : started(db,
                "INSERT INTO attempts(run_id, try_number, job, attempt, state, started_at, "
                "config_hash) VALUES(?1, ?2, ?3, ?4, 'running', ?5, ?6)"),
        finished(db,
                 "UPDATE attempts SET state = ?5, ended_at = ?6, duration_ms = ?7, error = ?8 "
                 "WHERE run_id = ?1 AND job = ?3 AND try_number = ?2 AND attempt = ?4"),
        finished_alone(db,
                       "INSERT INTO attempts(run_id, try_number, job, attempt, state, ended_at, "
                       "duration_ms, error) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        // Replace semantics as INSERT OR REPLACE had under UNIQUE: the settled row is the
        // job's newest row (highest id). It keeps the config hash of the job's latest earlier
        // row, so a success carried over from try 1 still compares configs correctly in try 3.
        unsettle(db,
                 "DELETE FROM attempts WHERE run_id = ?1 AND job = ?3 AND try_number = ?2 "
                 "AND attempt = 0"),
        settled(db,
                "INSERT INTO attempts(run_id, try_number, job, attempt, state, ended_at, error, "
                "config_hash) VALUES(?1, ?2, ?3, 0, ?4, ?5, ?6, "
                "COALESCE((SELECT config_hash FROM attempts WHERE run_id = ?1 AND job = ?3 "
                "ORDER BY id DESC LIMIT 1), ''))"),
        metric(db,
               "INSERT OR REPLACE INTO job_metrics(run_id, job, try_number, attempt, name, value) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"),
        clear_outputs(db, "DELETE FROM job_outputs WHERE run_id = ?1 AND job = ?2"),
        output(db,
               "INSERT OR REPLACE INTO job_outputs(run_id, job, key, value) "
               "VALUES(?1, ?2, ?3, ?4)"),
        finish_run(db, "UPDATE runs SET status = ?2, ended_at = ?3 WHERE id = ?1"),
        started_and_finished(
            db,
            "INSERT INTO attempts(run_id, try_number, job, attempt, state, started_at, ended_at, "
            "duration_ms, error, config_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)") {}
  sql::Stmt started, finished, finished_alone, unsettle, settled, metric, clear_outputs, output,
      finish_run, started_and_finished;
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
    if (change.kind == Change::Kind::started) {
      held_starts_.push_back(std::move(change));
      wake = queue_.empty() && held_starts_.size() == 1;  // starts the gathering delay
    } else {
      if (change.kind == Change::Kind::finished && !held_starts_.empty()) absorb_start(change);
      queue_.push_back(std::move(change));
      if (is_callback) ++callbacks_queued_;
      wake = queue_.size() == 1 || queue_.size() == kBatchTarget || is_callback;
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
      sql::Transaction tx(db_);
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
      tx.commit();
      commits_.fetch_add(1);
    } catch (const StoreError& e) {
      record_error(std::string(e.what()) + " (" + std::to_string(batch.size()) +
                   " queued changes not written)");
    }
  }
  // Callbacks run even after a failed write so the executor never waits forever; it learns
  // about the failure from write_error() or its next flush().
  for (auto& c : batch) {
    if (c.kind != Change::Kind::callback) continue;
    try {
      if (c.fn)
        c.fn(c.context, c.arg);
      else if (c.callback)
        c.callback();
    } catch (const std::exception& e) {
      spdlog::error("run store: a when_durable callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("run store: a when_durable callback threw");
    }
  }
}

// Text is bound by reference (no copy): the change outlives each statement's run().
void StoreWriter::apply(const Change& c) {
  auto& s = *stmts_;
  const std::string& run_id = *c.run_id;
  const Stamp at(c.at_ms);
  switch (c.kind) {
    case Change::Kind::started:
      s.started.bind_ref(1, run_id).bind(2, c.try_number).bind_ref(3, c.job).bind(4, c.attempt);
      s.started.bind_ref(5, at.view()).bind_ref(6, c.config_hash);
      s.started.run();
      break;
    case Change::Kind::finished: {
      const std::string_view state = to_string(c.state);
      if (c.started_at_ms >= 0) {  // it absorbed its `started`: one row
        const Stamp started_at(c.started_at_ms);
        auto& st = s.started_and_finished;
        st.bind_ref(1, run_id).bind(2, c.try_number).bind_ref(3, c.job).bind(4, c.attempt);
        st.bind_ref(5, state).bind_ref(6, started_at.view()).bind_ref(7, at.view());
        st.bind(8, c.duration_ms).bind_ref(9, c.text).bind_ref(10, c.config_hash);
        st.run();
      } else {
        for (sql::Stmt* st : {&s.finished, &s.finished_alone}) {
          st->bind_ref(1, run_id).bind(2, c.try_number).bind_ref(3, c.job).bind(4, c.attempt);
          st->bind_ref(5, state).bind_ref(6, at.view()).bind(7, c.duration_ms);
          st->bind_ref(8, c.text);
          st->run();
          if (sqlite3_changes(db_.get()) > 0) break;  // else: no row yet (finished without start)
        }
      }
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
    case Change::Kind::settled:
      s.unsettle.bind_ref(1, run_id).bind(2, c.try_number).bind_ref(3, c.job);
      s.unsettle.run();
      s.settled.bind_ref(1, run_id).bind(2, c.try_number).bind_ref(3, c.job);
      s.settled.bind_ref(4, to_string(c.state)).bind_ref(5, at.view()).bind_ref(6, c.text);
      s.settled.run();
      break;
    case Change::Kind::finish_run:
      s.finish_run.bind_ref(1, run_id).bind_ref(2, c.text).bind_ref(3, at.view());
      s.finish_run.run();
      if (sqlite3_changes(db_.get()) == 0)
        throw StoreError("state store " + db_.path() + ": finish_run: no run with id '" +
                         run_id + "'");
      break;
    case Change::Kind::callback:
      break;
  }
}

}  // namespace jobhost::state
