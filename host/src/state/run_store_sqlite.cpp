// RunStore on SQLite: one control connection (begin_run, locks, queries; guarded by a mutex)
// and one writer connection owned by the StoreWriter thread. WAL lets readers proceed while
// the writer commits.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>

#include "state/attempt_log.hpp"
#include "state/clock.hpp"
#include "state/crash_records.hpp"
#include "state/run_lock.hpp"
#include "state/run_queries.hpp"
#include "state/run_store.hpp"
#include "state/schema.hpp"
#include "state/store_writer.hpp"
#include "util/hash.hpp"
#include "util/logical_time.hpp"

namespace jobhost::state {
namespace {

// What a try records about its logical time: the given values, else the key's defaults.
struct TryTimes {
  std::string logical_time, start, end;
  explicit TryTimes(const RunBegin& b)
      : logical_time(b.logical_time.empty() ? logical_time_of(b.logical_date) : b.logical_time) {
    DataInterval d = default_data_interval(b.logical_date);
    start = b.data_interval_start.empty() ? d.start : b.data_interval_start;
    end = b.data_interval_end.empty() ? d.end : b.data_interval_end;
  }
};

// <pipeline>-<YYYYMMDD>-<6 hex> (an instant: <pipeline>-<YYYYMMDDTHHMMSSZ>-<6 hex>): readable
// in `jobhost runs`, a valid file name, unique by the random suffix.
std::string make_run_id(const std::string& pipeline, const std::string& logical_date) {
  std::string id;
  for (char c : pipeline)
    id += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') ? c : '_';
  if (id.empty()) id = "run";
  id += '-';
  id += run_id_stamp(logical_date);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char hex[8];
  std::snprintf(hex, sizeof hex, "%06x", static_cast<unsigned>(rng() & 0xffffff));
  return id + '-' + hex;
}

class SqliteRunStore final : public RunStore {
  static inline const std::string kNoRunId;

 public:
  explicit SqliteRunStore(const StoreOptions& o)
      : db_(open_store_db(o.path, o.synchronous_full)),
        writer_(open_writer_connection(o.path, o.synchronous_full), o.max_batch_delay),
        crash_dir_(crash_dir_for_store(o.path)) {}

  std::optional<LockHolder> try_lock(const std::string& pipeline,
                                     const std::string& logical_date) override {
    std::lock_guard lk(mu_);
    LockHolder dead;
    auto holder = try_lock_run(db_, pipeline, logical_date, &dead);
    // begin_run reads how the dead holder ended (its crash file).
    if (!holder && dead.pid > 0) dead_holders_[lock_key(pipeline, logical_date)] = dead.pid;
    else if (!holder) dead_holders_.erase(lock_key(pipeline, logical_date));
    return holder;
  }

  void unlock(const std::string& pipeline, const std::string& logical_date) override {
    std::lock_guard lk(mu_);
    unlock_run(db_, pipeline, logical_date);
  }

  RunHandle begin_run(const RunBegin& b) override { return begin(b, nullptr); }

  RunHandle begin_run(const RunBegin& b, RunHandle&& peeked) override { return begin(b, &peeked); }

  // begin_run, reusing what `peeked` read while it is current: same run and try, nothing to
  // mark lost, and no attempt written since (by this process either).
  RunHandle begin(const RunBegin& b, RunHandle* peeked) {
    // Earlier changes of this process (a previous try) must be visible to `prior`. A pending
    // write error belongs to whoever submitted those changes: it stays for their flush().
    writer_.drain();
    std::lock_guard lk(mu_);
    const std::string now = b.started_at.empty() ? now_iso_utc() : b.started_at;
    sql::Transaction tx(db_);
    RunHandle h = find_run(b.pipeline, b.logical_date).value_or(RunHandle{});
    const TryTimes times(b);
    // The lock this process took over from a dead host (if any), and how that host ended.
    const int64_t dead_pid = take_dead_holder(b.pipeline, b.logical_date);
    if (h.existed) {
      const CrashVerdict crash(read_crash_records(crash_dir_, dead_pid), h.run_id, h.try_number);
      if (peeked && peeked->run_id == h.run_id && peeked->try_number == h.try_number &&
          peeked->interrupted_attempts == 0 && !crash.crashed() &&
          peeked->last_log_row == last_log_row(h.run_id)) {
        h.prior = std::move(peeked->prior);
        h.deferred_attempts = peeked->deferred_attempts;
      } else {
        auto attempts = load_attempts(db_, h.run_id);
        h.interrupted_attempts = record_lost_attempts(h.run_id, h.try_number, attempts, crash);
        if (h.interrupted_attempts > 0) h.crash = crash.summary();
        h.deferred_attempts = std::count_if(attempts.begin(), attempts.end(), is_deferred);
        h.prior = query_prior(db_, h.run_id, attempts);
      }
      ++h.try_number;
      sql::Stmt up(db_,
                   "UPDATE runs SET try_number = ?2, status = 'running', started_at = ?3, "
                   "ended_at = NULL, params_json = ?4, file_hash = ?5, logical_time = ?6, "
                   "data_interval_start = ?7, data_interval_end = ?8 WHERE id = ?1");
      up.bind(1, h.run_id).bind(2, h.try_number).bind(3, now).bind(4, b.params_json);
      up.bind(5, b.file_hash).bind(6, times.logical_time).bind(7, times.start);
      up.bind(8, times.end);
      up.run();
    } else {
      h.try_number = 1;
      sql::Stmt ins(db_,
                    "INSERT OR IGNORE INTO runs(id, pipeline, logical_date, params_json, "
                    "file_hash, status, started_at, try_number, logical_time, "
                    "data_interval_start, data_interval_end) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, 'running', ?6, 1, ?7, ?8, ?9)");
      // A random suffix can collide with an existing id; draw again.
      for (int i = 0; i < 16 && h.run_id.empty(); ++i) {
        std::string id = make_run_id(b.pipeline, b.logical_date);
        ins.bind(1, id).bind(2, b.pipeline).bind(3, b.logical_date).bind(4, b.params_json);
        ins.bind(5, b.file_hash).bind(6, now).bind(7, times.logical_time).bind(8, times.start);
        ins.bind(9, times.end);
        ins.run();
        if (sqlite3_changes(db_.get()) == 1) h.run_id = id;
      }
      if (h.run_id.empty()) db_.fail("cannot allocate a unique run id");
    }
    // The text once per distinct content, however many tries and dates run it.
    const std::string text_key =
        content_hash(b.definition) + ":" + std::to_string(b.definition.size());
    sql::Stmt text(db_, "INSERT OR IGNORE INTO pipeline_texts(key, text) VALUES(?1, ?2)");
    text.bind(1, text_key).bind_ref(2, b.definition);
    text.run();
    sql::Stmt def(db_,
                  "INSERT OR REPLACE INTO run_definitions(run_id, try_number, file_hash, "
                  "text_key) VALUES(?1, ?2, ?3, ?4)");
    def.bind(1, h.run_id).bind(2, h.try_number).bind(3, b.file_hash).bind(4, text_key);
    def.run();
    tx.commit();
    if (dead_pid > 0) forget_crash_file(dead_pid);  // applied and durable
    return h;
  }

  std::optional<RunHandle> peek_run(const std::string& pipeline,
                                    const std::string& logical_date) override {
    writer_.drain();  // this process's earlier changes count, as in begin_run
    std::lock_guard lk(mu_);
    auto found = find_run(pipeline, logical_date);
    if (!found) return std::nullopt;
    RunHandle& h = *found;
    h.last_log_row = last_log_row(h.run_id);  // before reading: a later write shows as newer
    const auto attempts = load_attempts(db_, h.run_id);
    h.interrupted_attempts = std::count_if(attempts.begin(), attempts.end(), is_running);
    h.deferred_attempts = std::count_if(attempts.begin(), attempts.end(), is_deferred);
    h.prior = query_prior(db_, h.run_id, attempts);
    return found;
  }

  // The out-of-line part of a change about a deferred attempt.
  static std::unique_ptr<Change::Payload> deferral_payload(const DeferredAttempt& d) {
    auto p = std::make_unique<Change::Payload>();
    p->has_deferral = true;
    p->deferral = d;
    return p;
  }

  // A change about one job of one try, stamped now. The run id is not copied here: the
  // writer interns it in submit().
  static Change job_change(Change::Kind kind, int try_number, const std::string& job) {
    Change c;
    c.kind = kind;
    c.try_number = try_number;
    c.job = job;
    c.at_ms = now_unix_ms();
    return c;
  }

  void job_started(const std::string& run_id, int try_number, const std::string& job,
                   int attempt, const std::string& config_hash) override {
    Change c = job_change(Change::Kind::started, try_number, job);
    c.attempt = attempt;
    c.config_hash = config_hash;
    writer_.submit(std::move(c), run_id);
  }

  void job_finished(const std::string& run_id, int try_number, const std::string& job,
                    int attempt, JobState state, const std::string& error, int64_t duration_ms,
                    const std::map<std::string, double>& metrics,
                    const std::map<std::string, std::string>& outputs,
                    const DeferredAttempt* deferred, const AttemptUsage* usage) override {
    job_finished_then(run_id, try_number, job, attempt, state, error, duration_ms, metrics,
                      outputs, nullptr, nullptr, 0, deferred, usage);
  }

  void job_finished_then(const std::string& run_id, int try_number, const std::string& job,
                         int attempt, JobState state, const std::string& error,
                         int64_t duration_ms, const std::map<std::string, double>& metrics,
                         const std::map<std::string, std::string>& outputs, DurableFn fn,
                         void* context, uint64_t arg, const DeferredAttempt* deferred,
                         const AttemptUsage* usage) override {
    Change c = job_change(Change::Kind::finished, try_number, job);
    c.attempt = attempt;
    c.state = state;
    c.text = error;
    c.duration_ms = duration_ms;
    if (usage) c.usage = *usage;
    if (deferred) {
      c.payload = deferral_payload(*deferred);
    } else if (!metrics.empty() || !outputs.empty()) {
      c.payload = std::make_unique<Change::Payload>();
    }
    if (c.payload) {
      c.payload->metrics = metrics;
      c.payload->outputs = outputs;
    }
    c.fn = fn;  // run after the commit that writes this change
    c.context = context;
    c.arg = arg;
    writer_.submit(std::move(c), run_id);
  }

  void job_settled(const std::string& run_id, int try_number, const std::string& job,
                   JobState state, const std::string& reason,
                   const std::string& config_hash) override {
    Change c = job_change(Change::Kind::settled, try_number, job);
    c.state = state;
    c.text = reason;
    c.config_hash = config_hash;
    writer_.submit(std::move(c), run_id);
  }

  void job_deferred(const std::string& run_id, int try_number, const std::string& job,
                    const DeferredAttempt& d, int moved_from_try,
                    std::function<void()> then) override {
    Change c = job_change(Change::Kind::deferred, try_number, job);
    c.attempt = d.attempt;
    c.payload = deferral_payload(d);
    c.payload->moved_from_try = moved_from_try;
    c.callback = std::move(then);
    writer_.submit(std::move(c), run_id);
  }

  void job_lost(const std::string& run_id, const std::string& job,
                const DeferredAttempt& d) override {
    Change c = job_change(Change::Kind::lost, d.try_number, job);
    c.attempt = d.attempt;
    c.payload = deferral_payload(d);
    writer_.submit(std::move(c), run_id);
  }

  void finish_run(const std::string& run_id, const std::string& status) override {
    Change c;
    c.kind = Change::Kind::finish_run;
    c.text = status;
    c.at_ms = now_unix_ms();
    writer_.submit(std::move(c), run_id);
  }

  void flush() override { writer_.flush(); }

  void when_durable(std::function<void()> callback) override {
    Change c;
    c.kind = Change::Kind::callback;
    c.callback = std::move(callback);
    writer_.submit(std::move(c), kNoRunId);
  }

  void when_durable(DurableFn fn, void* context, uint64_t arg) override {
    Change c;
    c.kind = Change::Kind::callback;
    c.fn = fn;
    c.context = context;
    c.arg = arg;
    writer_.submit(std::move(c), kNoRunId);
  }

  std::vector<RunSummary> list_runs(const std::optional<std::string>& pipeline,
                                    int limit) override {
    std::lock_guard lk(mu_);
    return query_runs(db_, pipeline, limit);
  }

  std::optional<RunDetail> get_run(const std::string& run_id) override {
    std::lock_guard lk(mu_);
    return query_run(db_, run_id);
  }

  std::optional<std::string> find_run_id(const std::string& pipeline,
                                         const std::string& logical_date) override {
    std::lock_guard lk(mu_);
    return query_run_id(db_, pipeline, logical_date);
  }

  JobHistory job_history(const std::string& pipeline, const std::string& job,
                         int limit) override {
    std::lock_guard lk(mu_);
    return query_job_history(db_, pipeline, job, limit);
  }

  int schema_version() override {
    std::lock_guard lk(mu_);
    sql::Stmt st(db_, "PRAGMA user_version");
    st.step();
    return static_cast<int>(st.int64(0));
  }

  std::optional<std::string> write_error() const override { return writer_.error(); }
  int64_t commits() const override { return writer_.commits(); }
  CommitLatency commit_latency() const override { return writer_.commit_latency(); }

 private:
  // The run of (pipeline, date) as its latest try left it: id, try number, file hash, status,
  // data interval. Caller holds mu_.
  std::optional<RunHandle> find_run(const std::string& pipeline, const std::string& logical_date) {
    sql::Stmt st(db_,
                 "SELECT id, try_number, file_hash, status, data_interval_start, "
                 "data_interval_end FROM runs WHERE pipeline = ?1 AND logical_date = ?2");
    st.bind(1, pipeline).bind(2, logical_date);
    if (!st.step()) return std::nullopt;
    RunHandle h;
    h.existed = true;
    h.run_id = st.text(0);
    h.try_number = static_cast<int>(st.int64(1));
    h.previous_file_hash = st.text(2);
    h.previous_status = st.text(3);
    h.data_interval_start = st.text(4);
    h.data_interval_end = st.text(5);
    return h;
  }

  // Attempts left `running` (their host died: the caller holds the run lock, so nobody alive
  // runs them) become failed with "host lost", or with what the host's crash record says
  // (`crash`), in `attempts` and in one new log row. Returns how many. Caller holds mu_ and a
  // transaction.
  int64_t record_lost_attempts(const std::string& run_id, int latest_try,
                               std::vector<AttemptRow>& attempts, const CrashVerdict& crash) {
    add_unrecorded_crash(latest_try, attempts, crash);
    std::string entries = "[";
    int64_t lost = 0;
    const int64_t now = now_unix_ms();
    for (auto& a : attempts) {
      if (!is_running(a)) continue;
      a.state = to_string(JobState::failed);
      a.error = crash.error_for(a.job, a.attempt);
      a.ended_ms = now;
      a.lost = true;
      AttemptEntry e{.try_number = a.try_number, .job = a.job, .attempt = a.attempt,
                     .state = a.state, .started_ms = a.started_ms, .ended_ms = a.ended_ms,
                     .duration_ms = a.duration_ms, .error = a.error,
                     .config_hash = a.config_hash, .key = a.key, .lost = true};
      append_entry(entries, e);
      ++lost;
    }
    if (lost == 0) return 0;
    entries.push_back(']');
    sql::Stmt insert(db_, kInsertLogRow);
    insert_log_row(insert, run_id, entries);
    return lost;
  }

  // The attempt that crashed may have died before its start was committed: it is then added,
  // as running (record_lost_attempts closes it), so that the crash is on record.
  static void add_unrecorded_crash(int latest_try, std::vector<AttemptRow>& attempts,
                                   const CrashVerdict& crash) {
    const CrashRecord* r = crash.crashed_attempt();
    if (!r || r->try_number != latest_try) return;
    int64_t seq = 0;
    for (auto& a : attempts) {
      if (a.try_number == r->try_number && a.job == r->job && a.attempt == r->attempt) return;
      seq = std::max(seq, a.seq);
    }
    AttemptRow a;
    a.seq = a.first_seq = seq + 1;  // newest: it happened last
    a.try_number = r->try_number;
    a.job = r->job;
    a.attempt = r->attempt;
    a.state = to_string(JobState::running);
    attempts.push_back(std::move(a));
  }

  // Removes the crash file of a dead host once no run it held is left to resume.
  void forget_crash_file(int64_t pid) {
    if (pid_alive(pid)) return;  // the pid is someone else's now: so is the file
    sql::Stmt st(db_, "SELECT count(*) FROM run_locks WHERE pid = ?1 AND hostname = ?2");
    st.bind(1, pid).bind(2, this_hostname());
    st.step();
    if (st.int64(0) > 0) return;
    std::error_code ec;
    std::filesystem::remove(crash_file_path(crash_dir_, pid), ec);
  }

  static std::string lock_key(const std::string& pipeline, const std::string& logical_date) {
    return pipeline + '\n' + logical_date;
  }

  // The dead holder whose lock try_lock() took over for (pipeline, date); 0 when none.
  int64_t take_dead_holder(const std::string& pipeline, const std::string& logical_date) {
    auto it = dead_holders_.find(lock_key(pipeline, logical_date));
    if (it == dead_holders_.end()) return 0;
    const int64_t pid = it->second;
    dead_holders_.erase(it);
    return pid;
  }

  // The run's newest attempt_log row id, 0 when it has none. Caller holds mu_.
  int64_t last_log_row(const std::string& run_id) {
    sql::Stmt st(db_, "SELECT COALESCE(max(id), 0) FROM attempt_log WHERE run_id = ?1");
    st.bind(1, run_id);
    st.step();
    return st.int64(0);
  }

  static bool is_running(const AttemptRow& a) { return a.state == to_string(JobState::running); }
  static bool is_deferred(const AttemptRow& a) { return a.state == to_string(JobState::deferred); }

  std::mutex mu_;  // guards db_ and dead_holders_
  sql::Db db_;
  StoreWriter writer_;
  std::string crash_dir_;  // where hosts of this store leave crash records
  std::map<std::string, int64_t> dead_holders_;  // lock_key -> pid of the dead holder taken over
};

}  // namespace

std::unique_ptr<RunStore> RunStore::open(const StoreOptions& options) {
  return std::make_unique<SqliteRunStore>(options);
}

}  // namespace jobhost::state
