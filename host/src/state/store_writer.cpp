#include "state/store_writer.hpp"

#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

namespace jobhost::state {
namespace {

// Beyond this many queued changes the writer stops waiting for more and commits.
constexpr size_t kBatchTarget = 1024;

// Names a change in error messages: which call, run, job and attempt.
std::string describe(const Change& c) {
  static const char* kNames[] = {"job_started", "job_finished", "job_settled", "finish_run",
                                 "when_durable"};
  std::string s = std::string(kNames[static_cast<int>(c.kind)]) + " (run '" + c.run_id + "'";
  if (!c.job.empty()) s += ", job '" + c.job + "', try " + std::to_string(c.try_number);
  if (c.attempt > 0) s += ", attempt " + std::to_string(c.attempt);
  return s + ")";
}

}  // namespace

struct StoreWriter::Statements {
  explicit Statements(const sql::Db& db)
      : started(db,
                "INSERT INTO attempts(run_id, try_number, job, attempt, state, started_at, "
                "config_hash) VALUES(?1, ?2, ?3, ?4, 'running', ?5, ?6) "
                "ON CONFLICT(run_id, try_number, job, attempt) DO UPDATE SET state = 'running', "
                "started_at = excluded.started_at, config_hash = excluded.config_hash, "
                "ended_at = NULL, duration_ms = 0, error = ''"),
        finished(db,
                 "INSERT INTO attempts(run_id, try_number, job, attempt, state, ended_at, "
                 "duration_ms, error) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                 "ON CONFLICT(run_id, try_number, job, attempt) DO UPDATE SET "
                 "state = excluded.state, ended_at = excluded.ended_at, "
                 "duration_ms = excluded.duration_ms, error = excluded.error"),
        // A settled job keeps the config hash of its latest earlier row, so a success carried
        // over from try 1 still compares configs correctly in try 3.
        settled(db,
                "INSERT OR REPLACE INTO attempts(run_id, try_number, job, attempt, state, "
                "ended_at, error, config_hash) VALUES(?1, ?2, ?3, 0, ?4, ?5, ?6, "
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
            "duration_ms, error, config_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
            "ON CONFLICT(run_id, try_number, job, attempt) DO UPDATE SET state = excluded.state, "
            "started_at = excluded.started_at, ended_at = excluded.ended_at, "
            "duration_ms = excluded.duration_ms, error = excluded.error, "
            "config_hash = excluded.config_hash") {}
  sql::Stmt started, finished, settled, metric, clear_outputs, output, finish_run,
      started_and_finished;
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

void StoreWriter::submit(Change change) {
  bool wake;
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(change));
    ++submitted_;
    bool is_callback = queue_.back().kind == Change::Kind::callback;
    if (is_callback) ++callbacks_queued_;
    wake = queue_.size() == 1 || queue_.size() == kBatchTarget || is_callback;
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
  std::unique_lock lk(mu_);
  for (;;) {
    work_cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    // Gather a bigger batch unless someone waits for it now.
    // A queued when_durable callback is a waiter too: dependants are held until it runs.
    if (!stop_ && flush_waiters_ == 0 && callbacks_queued_ == 0 && queue_.size() < kBatchTarget &&
        max_batch_delay_.count() > 0) {
      work_cv_.wait_for(lk, max_batch_delay_, [&] {
        return stop_ || flush_waiters_ > 0 || callbacks_queued_ > 0 || queue_.size() >= kBatchTarget;
      });
    }
    std::vector<Change> batch;
    batch.swap(queue_);
    callbacks_queued_ = 0;
    const uint64_t upto = submitted_;
    lk.unlock();
    apply_batch(batch);
    lk.lock();
    done_ = upto;
    done_cv_.notify_all();
  }
}

namespace {
std::string attempt_key(const Change& c) {
  return c.run_id + '\x1f' + std::to_string(c.try_number) + '\x1f' + c.job + '\x1f' +
         std::to_string(c.attempt);
}
}  // namespace

void StoreWriter::apply_batch(std::vector<Change>& batch) {
  // A fast attempt's start and end usually land in the same batch: write its row once instead
  // of an insert followed by an update of the same row (same transaction, same outcome).
  std::unordered_map<std::string, const Change*> start_of;  // attempt -> its `started` change
  {
    std::unordered_set<std::string> finished_here;
    for (auto& c : batch)
      if (c.kind == Change::Kind::finished) finished_here.insert(attempt_key(c));
    for (auto& c : batch)
      if (c.kind == Change::Kind::started && finished_here.count(attempt_key(c)))
        start_of.emplace(attempt_key(c), &c);
  }
  bool has_writes = false;
  for (auto& c : batch) has_writes |= c.kind != Change::Kind::callback;
  if (has_writes) {
    try {
      sql::Transaction tx(db_);
      for (auto& c : batch) {
        if (c.kind == Change::Kind::callback) continue;
        const Change* start = nullptr;
        if (!start_of.empty() && (c.kind == Change::Kind::started || c.kind == Change::Kind::finished)) {
          auto it = start_of.find(attempt_key(c));
          if (it != start_of.end()) {
            if (c.kind == Change::Kind::started) continue;  // written with its `finished`
            start = it->second;
          }
        }
        try {
          apply(c, start);
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
    if (c.kind != Change::Kind::callback || !c.callback) continue;
    try {
      c.callback();
    } catch (const std::exception& e) {
      spdlog::error("run store: a when_durable callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("run store: a when_durable callback threw");
    }
  }
}

void StoreWriter::apply(const Change& c, const Change* start) {
  auto& s = *stmts_;
  if (start) {  // `finished` with its `started` from the same batch
    auto& st = s.started_and_finished;
    st.bind(1, c.run_id).bind(2, c.try_number).bind(3, c.job).bind(4, c.attempt);
    st.bind(5, std::string(to_string(c.state))).bind(6, start->at).bind(7, c.at);
    st.bind(8, c.duration_ms).bind(9, c.text).bind(10, start->config_hash);
    st.run();
  }
  switch (c.kind) {
    case Change::Kind::started:
      s.started.bind(1, c.run_id).bind(2, c.try_number).bind(3, c.job).bind(4, c.attempt);
      s.started.bind(5, c.at).bind(6, c.config_hash);
      s.started.run();
      break;
    case Change::Kind::finished:
      if (!start) {
        s.finished.bind(1, c.run_id).bind(2, c.try_number).bind(3, c.job).bind(4, c.attempt);
        s.finished.bind(5, std::string(to_string(c.state))).bind(6, c.at);
        s.finished.bind(7, c.duration_ms).bind(8, c.text);
        s.finished.run();
      }
      for (auto& [name, value] : c.metrics) {
        s.metric.bind(1, c.run_id).bind(2, c.job).bind(3, c.try_number).bind(4, c.attempt);
        s.metric.bind(5, name).bind(6, value);
        s.metric.run();
      }
      // The latest attempt's outputs replace earlier ones: stale keys must not leak into
      // downstream jobs of a rerun.
      // Nothing to clear before a job's very first attempt of the run.
      if (c.try_number > 1 || c.attempt > 1) {
        s.clear_outputs.bind(1, c.run_id).bind(2, c.job);
        s.clear_outputs.run();
      }
      for (auto& [key, value] : c.outputs) {
        s.output.bind(1, c.run_id).bind(2, c.job).bind(3, key).bind(4, value);
        s.output.run();
      }
      break;
    case Change::Kind::settled:
      s.settled.bind(1, c.run_id).bind(2, c.try_number).bind(3, c.job);
      s.settled.bind(4, std::string(to_string(c.state))).bind(5, c.at).bind(6, c.text);
      s.settled.run();
      break;
    case Change::Kind::finish_run:
      s.finish_run.bind(1, c.run_id).bind(2, c.text).bind(3, c.at);
      s.finish_run.run();
      if (sqlite3_changes(db_.get()) == 0)
        throw StoreError("state store " + db_.path() + ": finish_run: no run with id '" +
                         c.run_id + "'");
      break;
    case Change::Kind::callback:
      break;
  }
}

}  // namespace jobhost::state
