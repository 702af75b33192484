#include "serve/store_reader.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "state/attempt_log.hpp"
#include "state/run_queries.hpp"
#include "state/sqlite_handle.hpp"

namespace jobhost::serve {
namespace {

using state::sql::Db;
using state::sql::Stmt;

// Bounded: the pool only needs as many connections as there are server threads.
constexpr size_t kMaxIdle = 4;

// The same order as `jobhost runs` (state/run_queries.cpp): newest start first, ties to the
// run begun last.
constexpr const char* kOrder =
    " ORDER BY started_at DESC, (SELECT MAX(d.rowid) FROM run_definitions d "
    "WHERE d.run_id = runs.id) DESC, rowid DESC LIMIT ?3";

// One consistent view across the several statements of a query: a WAL read transaction.
class Snapshot {
 public:
  explicit Snapshot(Db& db) : db_(db) { db_.exec("BEGIN"); }
  ~Snapshot() {
    try {
      db_.exec("COMMIT");
    } catch (...) {
      // Read-only: nothing to lose; the connection is usable again after SQLite's rollback.
    }
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

 private:
  Db& db_;
};

std::vector<std::string> run_ids(Db& db, const RunFilter& f) {
  std::string sql = "SELECT id FROM runs";
  if (f.pipeline && f.status)
    sql += " WHERE pipeline = ?1 AND status = ?2";
  else if (f.pipeline)
    sql += " WHERE pipeline = ?1";
  else if (f.status)
    sql += " WHERE status = ?2";
  sql += kOrder;
  Stmt st(db, sql.c_str());
  if (f.pipeline) st.bind(1, *f.pipeline);
  if (f.status) st.bind(2, *f.status);
  st.bind(3, static_cast<int64_t>(f.limit));
  std::vector<std::string> ids;
  while (st.step()) ids.push_back(st.text(0));
  return ids;
}

std::map<std::string, JobSpan> job_spans(Db& db, const std::string& run_id, int latest_try) {
  std::map<std::string, JobSpan> spans;
  for (const auto& a : state::load_attempts(db, run_id)) {
    // Settled entries (attempt 0) never ran; a moved entry continues in a later try.
    if (a.try_number != latest_try || a.attempt == 0 || a.moved_to != 0 || a.started_ms < 0)
      continue;
    auto [it, added] = spans.try_emplace(a.job, JobSpan{a.started_ms, a.ended_ms});
    JobSpan& s = it->second;
    if (added) continue;
    s.start_ms = std::min(s.start_ms, a.started_ms);
    // The newest attempt comes last (seq order): its end, or -1 while it runs.
    s.end_ms = a.ended_ms < 0 ? -1 : std::max(s.end_ms, a.ended_ms);
  }
  return spans;
}

}  // namespace

struct StoreReader::Pool {
  std::mutex mu;
  std::vector<std::unique_ptr<Db>> idle;

  // fn(db) inside one snapshot, on a pooled connection; T{} when the store does not exist.
  template <class T, class Fn>
  T read(const std::string& path, Fn&& fn) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return T{};
    std::unique_ptr<Db> db = take(path);
    struct GiveBack {
      Pool& pool;
      std::unique_ptr<Db>& db;
      ~GiveBack() {
        std::lock_guard lock(pool.mu);
        if (pool.idle.size() < kMaxIdle) pool.idle.push_back(std::move(db));
      }
    } give_back{*this, db};
    Snapshot snapshot(*db);
    return fn(*db);
  }

 private:
  std::unique_ptr<Db> take(const std::string& path) {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        auto db = std::move(idle.back());
        idle.pop_back();
        return db;
      }
    }
    auto db = std::make_unique<Db>(path);
    // The writer commits often: wait for it rather than fail. query_only: this connection
    // cannot write, not even by mistake.
    sqlite3_busy_timeout(db->get(), 5000);
    db->exec("PRAGMA query_only = 1");
    db->cache_statements();  // the same few queries, per run, on every request
    return db;
  }
};

StoreReader::StoreReader(std::string store_path)
    : path_(std::move(store_path)), pool_(std::make_unique<Pool>()) {}

StoreReader::~StoreReader() = default;

std::vector<state::RunDetail> StoreReader::runs(const RunFilter& filter) {
  return pool_->read<std::vector<state::RunDetail>>(path_, [&](Db& db) {
    std::vector<state::RunDetail> out;
    for (const auto& id : run_ids(db, filter))
      if (auto d = state::query_run(db, id)) out.push_back(std::move(*d));
    return out;
  });
}

std::optional<state::RunDetail> StoreReader::run(const std::string& run_id) {
  return pool_->read<std::optional<state::RunDetail>>(
      path_, [&](Db& db) { return state::query_run(db, run_id); });
}

std::optional<RunTimeline> StoreReader::run_timeline(const std::string& run_id) {
  return pool_->read<std::optional<RunTimeline>>(path_, [&](Db& db) -> std::optional<RunTimeline> {
    auto detail = state::query_run(db, run_id);
    if (!detail) return std::nullopt;
    RunTimeline t;
    t.spans = job_spans(db, run_id, detail->summary.try_number);
    t.detail = std::move(*detail);
    return t;
  });
}

std::map<std::string, std::vector<state::RunSummary>> StoreReader::recent_runs(
    const std::vector<std::string>& pipelines, int limit) {
  using Result = std::map<std::string, std::vector<state::RunSummary>>;
  return pool_->read<Result>(path_, [&](Db& db) {
    Stmt st(db,
            "SELECT id, logical_date, status, started_at, COALESCE(ended_at, ''), try_number, "
            "CAST(ROUND((julianday(COALESCE(ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) - "
            "julianday(started_at)) * 86400000.0) AS INTEGER) FROM runs WHERE pipeline = ?1 "
            "ORDER BY started_at DESC, rowid DESC LIMIT ?2");
    Result out;
    for (const auto& name : pipelines) {
      st.reset();
      st.bind(1, name).bind(2, static_cast<int64_t>(limit));
      auto& runs = out[name];
      while (st.step()) {
        state::RunSummary s;
        s.run_id = st.text(0);
        s.pipeline = name;
        s.logical_date = st.text(1);
        s.status = st.text(2);
        s.started_at = st.text(3);
        s.ended_at = st.text(4);
        s.try_number = static_cast<int>(st.int64(5));
        s.duration_ms = std::max<int64_t>(0, st.int64(6));
        runs.push_back(std::move(s));
      }
    }
    return out;
  });
}

}  // namespace jobhost::serve
