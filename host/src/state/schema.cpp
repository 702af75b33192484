#include "state/schema.hpp"

#include <filesystem>
#include <system_error>

namespace jobhost::state {
namespace {

// Version 1: runs, definitions, attempts, outputs, locks.
const char* kV1 = R"sql(
CREATE TABLE runs(
  id TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  logical_date TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  file_hash TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  try_number INTEGER NOT NULL DEFAULT 1,
  UNIQUE(pipeline, logical_date));
CREATE INDEX runs_by_start ON runs(started_at);
CREATE INDEX runs_by_pipeline_start ON runs(pipeline, started_at);
CREATE TABLE run_definitions(
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  try_number INTEGER NOT NULL,
  file_hash TEXT NOT NULL,
  definition TEXT NOT NULL,
  PRIMARY KEY(run_id, try_number));
CREATE TABLE attempts(
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  try_number INTEGER NOT NULL,
  job TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,
  started_at TEXT,
  ended_at TEXT,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  UNIQUE(run_id, try_number, job, attempt));
CREATE INDEX attempts_by_job ON attempts(job, run_id);
CREATE TABLE job_outputs(
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  job TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(run_id, job, key));
CREATE TABLE run_locks(
  pipeline TEXT NOT NULL,
  logical_date TEXT NOT NULL,
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  started_at TEXT NOT NULL,
  PRIMARY KEY(pipeline, logical_date));
)sql";

// Version 2: the job's config hash per attempt (reruns of changed jobs), job metrics, and an
// index for per-run, per-job lookups (begin_run and show on runs with many jobs).
const char* kV2 = R"sql(
ALTER TABLE attempts ADD COLUMN config_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX attempts_by_run_job ON attempts(run_id, job);
CREATE TABLE job_metrics(
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  job TEXT NOT NULL,
  try_number INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY(run_id, job, try_number, attempt, name));
)sql";

// Version 3: attempts without UNIQUE(run_id, try_number, job, attempt) and without the index
// on (job, run_id); one index on (run_id, job) serves the writer's updates, per-run reads and
// history (runs by pipeline, then their attempts). Each attempt row costs one index entry
// instead of three. SQLite cannot drop a constraint, so the table is rebuilt (ids kept).
// No table references attempts, so dropping the old one cascades nothing. Rows whose run is
// gone (deleted by hand with foreign keys off, sqlite3's default) are not copied: the new
// table's foreign key would refuse them and the migration could never finish.
const char* kV3 = R"sql(
CREATE TABLE attempts_v3(
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  try_number INTEGER NOT NULL,
  job TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,
  started_at TEXT,
  ended_at TEXT,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  config_hash TEXT NOT NULL DEFAULT '');
INSERT INTO attempts_v3(id, run_id, try_number, job, attempt, state, started_at, ended_at,
  duration_ms, error, config_hash)
  SELECT id, run_id, try_number, job, attempt, state, started_at, ended_at, duration_ms, error,
  config_hash FROM attempts WHERE run_id IN (SELECT id FROM runs) ORDER BY id;
DROP TABLE attempts;
ALTER TABLE attempts_v3 RENAME TO attempts;
CREATE INDEX attempts_by_run_job ON attempts(run_id, job);
)sql";

// Version 4: attempts move into `attempt_log`, one row per run per writer commit holding that
// batch's entries as a JSON array (see attempt_log.hpp; times as Unix ms, which the view
// shows as ISO-8601 text as before): a durable run costs one SQLite row
// per ~1000 attempts instead of a row and an index entry per attempt. `attempts` becomes a
// view with the same columns (the attempt's newest entry); its id is its first entry's
// (log row << 24) + position, so it orders rows as before. Existing rows become one log row
// each, keeping their order (log row id = old attempt id). The view sticks to json_extract and
// window functions (SQLite 3.25+), so older sqlite3 shells can still open the file.
const char* kV4 = R"sql(
CREATE TABLE attempt_log(
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  entries TEXT NOT NULL);
CREATE INDEX attempt_log_by_run ON attempt_log(run_id);
INSERT INTO attempt_log(id, run_id, entries)
  SELECT id, run_id, json_array(json_array(try_number, job, attempt, state,
    CAST(round((julianday(started_at) - 2440587.5) * 86400000.0) AS INTEGER),
    CAST(round((julianday(ended_at) - 2440587.5) * 86400000.0) AS INTEGER),
    duration_ms, error, config_hash)) FROM attempts WHERE run_id IN (SELECT id FROM runs)
  ORDER BY id;
DROP TABLE attempts;
CREATE VIEW attempts AS
  SELECT id, run_id, try_number, job, attempt, state, started_at, ended_at, duration_ms, error,
    config_hash FROM (
    SELECT min((l.id << 24) + e.key) OVER attempt AS id, l.run_id AS run_id,
      json_extract(e.value, '$[0]') AS try_number,
      json_extract(e.value, '$[1]') AS job,
      json_extract(e.value, '$[2]') AS attempt,
      json_extract(e.value, '$[3]') AS state,
      strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(e.value, '$[4]') / 1000.0, 'unixepoch')
        AS started_at,
      strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(e.value, '$[5]') / 1000.0, 'unixepoch')
        AS ended_at,
      json_extract(e.value, '$[6]') AS duration_ms,
      json_extract(e.value, '$[7]') AS error,
      json_extract(e.value, '$[8]') AS config_hash,
      row_number() OVER (PARTITION BY l.run_id, json_extract(e.value, '$[0]'),
                         json_extract(e.value, '$[1]'), json_extract(e.value, '$[2]')
                         ORDER BY l.id DESC, e.key DESC) AS newest
    FROM attempt_log l, json_each(l.entries) e
    WINDOW attempt AS (PARTITION BY l.run_id, json_extract(e.value, '$[0]'),
                       json_extract(e.value, '$[1]'), json_extract(e.value, '$[2]')))
  WHERE newest = 1;
)sql";

// Version 5: the pipeline file text as run is kept once per distinct text in
// `pipeline_texts` (key: jobhost's content hash and length of the text), not once per try: a
// daily 100,000-job pipeline added its ~8 MB file to the store every day. run_definitions
// keeps one row per try, pointing at its text; the run_definition_texts view joins them.
// Existing texts move over as they are (one each, keyed by their old row).
const char* kV5 = R"sql(
CREATE TABLE pipeline_texts(
  key TEXT PRIMARY KEY,
  text TEXT NOT NULL);
INSERT INTO pipeline_texts(key, text) SELECT 'row:' || rowid, definition FROM run_definitions;
ALTER TABLE run_definitions ADD COLUMN text_key TEXT NOT NULL DEFAULT '';
UPDATE run_definitions SET text_key = 'row:' || rowid;
ALTER TABLE run_definitions DROP COLUMN definition;
CREATE VIEW run_definition_texts AS
  SELECT d.run_id, d.try_number, d.file_hash, t.text AS definition
  FROM run_definitions d JOIN pipeline_texts t ON t.key = d.text_key;
)sql";

// Version 6: deferred attempts (ABI 1.1). Log entries may carry a tenth element, an object of
// further facts (attempt_log.hpp): idempotency key, a deferred attempt's handle, next poll and
// number of polls, "lost" for attempts whose host was lost, "moved_to" for an attempt that a
// later try re-attached. The attempts view gains those columns; entries of moved attempts
// (state 'reattached') stay visible there. The version bump itself matters most: a jobhost
// from before deferral would read a deferred attempt as unfinished work and start it again.
const char* kV6 = R"sql(
DROP VIEW attempts;
CREATE VIEW attempts AS
  SELECT id, run_id, try_number, job, attempt, state, started_at, ended_at, duration_ms, error,
    config_hash, idempotency_key, handle, next_poll_at, polls, lost, moved_to FROM (
    SELECT min((l.id << 24) + e.key) OVER attempt AS id, l.run_id AS run_id,
      json_extract(e.value, '$[0]') AS try_number,
      json_extract(e.value, '$[1]') AS job,
      json_extract(e.value, '$[2]') AS attempt,
      json_extract(e.value, '$[3]') AS state,
      strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(e.value, '$[4]') / 1000.0, 'unixepoch')
        AS started_at,
      strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(e.value, '$[5]') / 1000.0, 'unixepoch')
        AS ended_at,
      json_extract(e.value, '$[6]') AS duration_ms,
      json_extract(e.value, '$[7]') AS error,
      json_extract(e.value, '$[8]') AS config_hash,
      json_extract(e.value, '$[9].key') AS idempotency_key,
      json_extract(e.value, '$[9].handle') AS handle,
      strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(e.value, '$[9].next_poll') / 1000.0,
               'unixepoch') AS next_poll_at,
      COALESCE(json_extract(e.value, '$[9].polls'), 0) AS polls,
      COALESCE(json_extract(e.value, '$[9].lost'), 0) AS lost,
      json_extract(e.value, '$[9].moved_to') AS moved_to,
      row_number() OVER (PARTITION BY l.run_id, json_extract(e.value, '$[0]'),
                         json_extract(e.value, '$[1]'), json_extract(e.value, '$[2]')
                         ORDER BY l.id DESC, e.key DESC) AS newest
    FROM attempt_log l, json_each(l.entries) e
    WINDOW attempt AS (PARTITION BY l.run_id, json_extract(e.value, '$[0]'),
                       json_extract(e.value, '$[1]'), json_extract(e.value, '$[2]')))
  WHERE newest = 1;
)sql";

// Version 7: runs of an instant (sub-daily schedules), util/logical_time.hpp. runs.logical_date
// keeps what identifies the run with its pipeline (UNIQUE(pipeline, logical_date); run_locks
// likewise): a date YYYY-MM-DD as before, or an instant YYYY-MM-DDTHH:MM:SSZ. Storing the
// instant there, instead of a column beside the date, keeps the table and its constraint: a
// new UNIQUE would mean rebuilding `runs`, which four tables reference with ON DELETE CASCADE.
// New columns: the instant (a date's midnight UTC) and the run's data interval. Existing runs
// (all dates) get a date's defaults, its UTC day; a row whose date is not a calendar date
// (edited by hand) keeps '', and readers derive the defaults. ('+0 days' makes SQLite roll an
// impossible day over, e.g. 2026-02-30 to 2026-03-02, where date() alone returns it as is.)
const char* kV7 = R"sql(
ALTER TABLE runs ADD COLUMN logical_time TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN data_interval_start TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN data_interval_end TEXT NOT NULL DEFAULT '';
UPDATE runs SET logical_time = logical_date || 'T00:00:00Z',
  data_interval_start = logical_date || 'T00:00:00Z',
  data_interval_end = date(logical_date, '+1 day') || 'T00:00:00Z'
  WHERE length(logical_date) = 10 AND date(logical_date, '+0 days') = logical_date;
)sql";

int read_user_version(sql::Db& db) {
  sql::Stmt st(db, "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

void apply_connection_settings(sql::Db& db, bool synchronous_full) {
  // Writers wait for each other (the writer thread, begin_run, a second host) instead of
  // failing with SQLITE_BUSY.
  sqlite3_busy_timeout(db.get(), 30000);
  db.exec(std::string("PRAGMA synchronous=") + (synchronous_full ? "FULL" : "NORMAL") +
          "; PRAGMA foreign_keys=ON;");
}

}  // namespace

const std::vector<std::string>& schema_migrations() {
  static const std::vector<std::string> steps = {kV1, kV2, kV3, kV4, kV5, kV6, kV7};
  return steps;
}

int current_schema_version() { return static_cast<int>(schema_migrations().size()); }

sql::Db open_store_db(const std::string& path, bool synchronous_full) {
  if (path.empty()) throw StoreError("state store path is empty");
  namespace fs = std::filesystem;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec)
      throw StoreError("state store " + path + ": cannot create folder " + parent.string() +
                       ": " + ec.message());
  }
  sql::Db db(path);
  if (sqlite3_db_readonly(db.get(), "main") == 1)
    throw StoreError("state store " + path + ": the file is not writable");
  sqlite3_busy_timeout(db.get(), 30000);

  // Read-only checks first: nothing is written to a file we refuse.
  int version = 0;
  int64_t objects = 0;
  try {
    version = read_user_version(db);
    sql::Stmt st(db, "SELECT count(*) FROM sqlite_master");
    st.step();
    objects = st.int64(0);
  } catch (const StoreError&) {
    throw StoreError("state store " + path +
                     ": not a readable jobhost state database (corrupt or another file type): " +
                     sqlite3_errmsg(db.get()));
  }
  if (version > current_schema_version())
    throw StoreError("state store " + path + " has schema version " + std::to_string(version) +
                     ", newer than this jobhost's version " +
                     std::to_string(current_schema_version()) +
                     "; use a newer jobhost or another --state file");
  if (version == 0 && objects > 0)
    throw StoreError("state store " + path +
                     ": an SQLite database that is not a jobhost state store (it has tables "
                     "but no schema version)");

  // A new file gets 8 KiB pages: each commit writes fewer, fuller pages to the WAL (about
  // 10% less time per recorded attempt than 4 KiB). Fixed once the first table exists.
  if (version == 0 && objects == 0) db.exec("PRAGMA page_size=8192");
  {
    sql::Stmt st(db, "PRAGMA journal_mode=WAL");
    st.step();
    if (st.text(0) != "wal")
      throw StoreError("state store " + path + ": cannot switch to WAL mode (journal mode is " +
                       st.text(0) + ")");
  }
  apply_connection_settings(db, synchronous_full);

  // Each step and its version bump commit together; re-reading the version inside the
  // transaction makes two hosts migrating at once safe.
  const auto& steps = schema_migrations();
  for (;;) {
    sql::Transaction tx(db);
    int v = read_user_version(db);
    if (v >= current_schema_version()) break;
    try {
      db.exec(steps[static_cast<size_t>(v)]);
    } catch (const StoreError& e) {
      throw StoreError(std::string(e.what()) + " (while migrating schema from version " +
                       std::to_string(v) + " to " + std::to_string(v + 1) + ")");
    }
    db.exec("PRAGMA user_version=" + std::to_string(v + 1));
    tx.commit();
  }
  return db;
}

sql::Db open_extra_connection(const std::string& path, bool synchronous_full) {
  sql::Db db(path);
  apply_connection_settings(db, synchronous_full);
  return db;
}

sql::Db open_writer_connection(const std::string& path, bool synchronous_full) {
  sql::Db db = open_extra_connection(path, synchronous_full);
  // A checkpoint every 1000 WAL pages (SQLite's default) runs inside the writer's commit and
  // copies the same pages back over and over on big runs; every ~10000 pages (~80 MB of WAL)
  // it copies each page once per many batches. After a checkpoint the WAL file is cut back to
  // 16 MB. A 1 MiB page cache: the writer appends log rows and reads little back, and each
  // page a bigger cache takes on first use is fresh heap memory (a page fault); with a 16 MB
  // cache and a 4 KiB-page heap, commits of 1000 entries took 2.5x longer.
  db.exec(
      "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=16777216; "
      "PRAGMA cache_size=-1024;");
  return db;
}

}  // namespace jobhost::state
