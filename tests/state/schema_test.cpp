// Opening the store: creation, migration from versions 1, 2 and 6, and refusing files we must not
// touch.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <regex>

#include "state/schema.hpp"
#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;
using jobhost::test::RawDb;

namespace {

// Version 1 as released, written out here on purpose: the migration must keep working on
// files built by this exact SQL even if someone edits the step in schema.cpp.
const char* kSchemaV1 = R"sql(
CREATE TABLE runs(id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, logical_date TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}', file_hash TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT,
  try_number INTEGER NOT NULL DEFAULT 1, UNIQUE(pipeline, logical_date));
CREATE INDEX runs_by_start ON runs(started_at);
CREATE INDEX runs_by_pipeline_start ON runs(pipeline, started_at);
CREATE TABLE run_definitions(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  try_number INTEGER NOT NULL, file_hash TEXT NOT NULL, definition TEXT NOT NULL,
  PRIMARY KEY(run_id, try_number));
CREATE TABLE attempts(id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, try_number INTEGER NOT NULL,
  job TEXT NOT NULL, attempt INTEGER NOT NULL, state TEXT NOT NULL, started_at TEXT,
  ended_at TEXT, duration_ms INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',
  UNIQUE(run_id, try_number, job, attempt));
CREATE INDEX attempts_by_job ON attempts(job, run_id);
CREATE TABLE job_outputs(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  job TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(run_id, job, key));
CREATE TABLE run_locks(pipeline TEXT NOT NULL, logical_date TEXT NOT NULL,
  pid INTEGER NOT NULL, hostname TEXT NOT NULL, started_at TEXT NOT NULL,
  PRIMARY KEY(pipeline, logical_date));
PRAGMA user_version = 1;
)sql";

// Version 2 as released, applied on top of kSchemaV1 (same reason: written out on purpose).
const char* kSchemaV2Step = R"sql(
ALTER TABLE attempts ADD COLUMN config_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX attempts_by_run_job ON attempts(run_id, job);
CREATE TABLE job_metrics(run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  job TEXT NOT NULL, try_number INTEGER NOT NULL, attempt INTEGER NOT NULL,
  name TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY(run_id, job, try_number, attempt, name));
PRAGMA user_version = 2;
)sql";

}  // namespace

TEST_CASE("a new store is created with its folder, at the current schema, in WAL mode",
          "[state][schema]") {
  test::TempDir dir;
  std::string path = dir.str("nested/deeper/state.db");
  auto store = test::open_store(path);
  CHECK(store->schema_version() == current_schema_version());
  CHECK(current_schema_version() == 7);
  RawDb raw(path);
  CHECK(raw.scalar("PRAGMA journal_mode") == "wal");
  for (const char* table :
       {"runs", "run_definitions", "pipeline_texts", "attempt_log", "job_outputs", "job_metrics",
        "run_locks"})
    CHECK(raw.count(std::string("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                "name='") + table + "'") == 1);
  CHECK(raw.count("SELECT count(*) FROM sqlite_master WHERE type='view' AND name='attempts'") ==
        1);
}

TEST_CASE("reopening a current store keeps its data", "[state][schema]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  std::string run_id;
  {
    auto store = test::open_store(path);
    run_id = store->begin_run(test::make_begin("daily", "2026-11-28")).run_id;
  }
  auto store = test::open_store(path);
  CHECK(store->find_run_id("daily", "2026-11-28") == run_id);
}

TEST_CASE("a version 1 database is migrated to the current schema with its data",
          "[state][schema]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  {
    RawDb raw(path);
    raw.exec(kSchemaV1);
    raw.exec(
        "INSERT INTO runs VALUES('daily-20261127-abcdef', 'daily', '2026-11-27', '{}', 'h0', "
        "'failed', '2026-11-27T06:00:00.000Z', '2026-11-27T06:01:00.000Z', 1);"
        "INSERT INTO attempts(run_id, try_number, job, attempt, state, started_at, ended_at, "
        "duration_ms, error) VALUES('daily-20261127-abcdef', 1, 'extract', 1, 'success', "
        "'2026-11-27T06:00:00.000Z', '2026-11-27T06:00:30.000Z', 30000, ''),"
        "('daily-20261127-abcdef', 1, 'load', 1, 'failed', '2026-11-27T06:00:30.000Z', "
        "'2026-11-27T06:01:00.000Z', 30000, 'disk full');"
        "INSERT INTO job_outputs VALUES('daily-20261127-abcdef', 'extract', 'rows', '42');");
  }
  auto store = test::open_store(path);
  CHECK(store->schema_version() == current_schema_version());

  auto run = store->get_run("daily-20261127-abcdef");
  REQUIRE(run);
  CHECK(run->summary.status == "failed");
  CHECK(run->summary.duration_ms == 60000);
  REQUIRE(run->jobs.size() == 2);
  CHECK(run->jobs[0].job == "extract");
  CHECK(run->jobs[0].outputs.at("rows") == "42");
  CHECK(run->jobs[1].error == "disk full");

  // The migrated file works for the next try: v2 columns and tables are in use.
  // (Through v3 too: attempts was rebuilt without its UNIQUE constraint.)
  auto h = store->begin_run(test::make_begin("daily", "2026-11-27"));
  CHECK(h.run_id == "daily-20261127-abcdef");
  CHECK(h.try_number == 2);
  CHECK(h.previous_file_hash == "h0");
  CHECK(h.prior.at("extract").state == JobState::success);
  CHECK(h.prior.at("extract").config_hash.empty());
  CHECK(h.prior.at("load").state == JobState::failed);
  store->job_started(h.run_id, 2, "load", 1, "cfg-load");
  store->job_finished(h.run_id, 2, "load", 1, JobState::success, "", 10, {{"rows", 7.0}}, {});
  store->flush();
  run = store->get_run(h.run_id);
  CHECK(run->jobs[1].state == "success");
  CHECK(run->jobs[1].metrics.at("rows") == 7.0);
}

TEST_CASE("a version 2 database is migrated through versions 3 to 5 with its data and order",
          "[state][schema]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  const std::string run = "daily-20261127-abcdef";
  {
    RawDb raw(path);
    raw.exec(kSchemaV1);
    raw.exec(kSchemaV2Step);
    // Try 1: extract succeeded, load failed after a retry. Try 2: extract carried over
    // (attempt 0, keeps its config hash), load succeeded. Ids have gaps on purpose. The
    // orphan row (14) is not carried into version 3, or its foreign key would stop the step.
    raw.exec(
        "INSERT INTO runs VALUES('" + run + "', 'daily', '2026-11-27', '{}', 'h0', "
        "'success', '2026-11-27T07:00:00.000Z', '2026-11-27T07:00:10.000Z', 2);"
        "INSERT INTO run_definitions VALUES('" + run + "', 1, 'h0', 'def1'), ('" + run +
        "', 2, 'h0', 'def2');"
        "INSERT INTO attempts(id, run_id, try_number, job, attempt, state, started_at, ended_at, "
        "duration_ms, error, config_hash) VALUES"
        "(3, '" + run + "', 1, 'extract', 1, 'success', '2026-11-27T06:00:00.000Z', "
        "'2026-11-27T06:00:30.000Z', 30000, '', 'cfg-e'),"
        "(5, '" + run + "', 1, 'load', 1, 'up_for_retry', '2026-11-27T06:00:30.000Z', "
        "'2026-11-27T06:00:40.000Z', 10000, 'timeout', 'cfg-l'),"
        "(6, '" + run + "', 1, 'load', 2, 'failed', '2026-11-27T06:00:41.000Z', "
        "'2026-11-27T06:01:00.000Z', 19000, 'disk full', 'cfg-l'),"
        "(9, '" + run + "', 2, 'extract', 0, 'success', NULL, '2026-11-27T07:00:00.000Z', 0, "
        "'carried over', 'cfg-e'),"
        "(12, '" + run + "', 2, 'load', 1, 'success', '2026-11-27T07:00:00.000Z', "
        "'2026-11-27T07:00:10.000Z', 10000, '', 'cfg-l'),"
        // An orphan: its run was deleted by hand with foreign keys off (sqlite3's default).
        "(14, 'deleted-run', 1, 'x', 1, 'success', NULL, NULL, 0, '', '');"
        "INSERT INTO job_outputs VALUES('" + run + "', 'extract', 'rows', '42');"
        "INSERT INTO job_metrics VALUES('" + run + "', 'load', 2, 1, 'rows', 42.0);");
  }
  auto store = test::open_store(path);
  CHECK(store->schema_version() == current_schema_version());

  {
    // Through version 4: each attempt row became one attempt_log row with the same id, and
    // the attempts view orders them as before.
    RawDb raw(path);
    CHECK(raw.scalar("SELECT group_concat(id) FROM (SELECT id FROM attempt_log ORDER BY id)") ==
          "3,5,6,9,12");
    CHECK(raw.scalar("SELECT group_concat(id >> 24) FROM (SELECT id FROM attempts ORDER BY id)") ==
          "3,5,6,9,12");
    CHECK(raw.scalar("SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE "
                     "type = 'index' AND tbl_name = 'attempt_log' ORDER BY name)") ==
          "attempt_log_by_run");
    CHECK(raw.count("SELECT count(*) FROM sqlite_master WHERE name = 'attempts_v3'") == 0);
    CHECK(raw.scalar("SELECT type FROM sqlite_master WHERE name = 'attempts'") == "view");
    CHECK(raw.scalar("SELECT config_hash FROM attempts WHERE id >> 24 = 9") == "cfg-e");
    // Times are kept as Unix ms now; the view shows the same text as before.
    CHECK(raw.scalar("SELECT started_at || ' ' || ended_at FROM attempts WHERE id >> 24 = 6") ==
          "2026-11-27T06:00:41.000Z 2026-11-27T06:01:00.000Z");
    CHECK(raw.scalar("SELECT entries ->> '$[0][4]' FROM attempt_log WHERE id = 6") ==
          "1795759241000");
    CHECK(raw.scalar("SELECT \"table\" FROM pragma_foreign_key_list('attempt_log')") == "runs");
    // Through version 5: each try's pipeline text moved to pipeline_texts.
    CHECK(raw.scalar("SELECT group_concat(definition) FROM (SELECT definition FROM "
                     "run_definition_texts ORDER BY try_number)") == "def1,def2");
    CHECK(raw.count("SELECT count(*) FROM pragma_table_info('run_definitions') WHERE "
                    "name = 'definition'") == 0);
    CHECK(raw.count("SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(raw.count("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'") ==
          0);
  }

  auto detail = store->get_run(run);
  REQUIRE(detail);
  CHECK(detail->summary.status == "success");
  CHECK(detail->summary.try_number == 2);
  CHECK(detail->summary.counts_by_state == std::map<std::string, int>{{"success", 2}});
  REQUIRE(detail->jobs.size() == 2);
  CHECK(detail->jobs[0].job == "extract");
  CHECK(detail->jobs[0].state == "success");
  CHECK(detail->jobs[0].attempts == 1);
  CHECK(detail->jobs[0].duration_ms == 30000);  // of the attempt that really ran, in try 1
  CHECK(detail->jobs[0].outputs.at("rows") == "42");
  CHECK(detail->jobs[1].job == "load");
  CHECK(detail->jobs[1].attempts == 3);
  CHECK(detail->jobs[1].duration_ms == 10000);

  auto hist = store->job_history("daily", "load", 10);
  REQUIRE(hist.attempts.size() == 3);
  CHECK(hist.attempts[0].try_number == 2);
  CHECK(hist.attempts[0].state == "success");
  CHECK(hist.attempts[1].error == "disk full");
  CHECK(hist.attempts[2].state == "up_for_retry");
  CHECK(hist.p50_ms == 10000);
  CHECK(hist.failure_rate == Approx(2.0 / 3.0));

  // Try 3 on the migrated file: the carried-over success still compares configs, a rerun
  // job's start and end land in one row, and a settle replaces its earlier row.
  auto h = store->begin_run(test::make_begin("daily", "2026-11-27", "h0"));
  CHECK(h.try_number == 3);
  CHECK(h.prior.at("extract").state == JobState::success);
  CHECK(h.prior.at("extract").config_hash == "cfg-e");
  CHECK(h.prior.at("load").config_hash == "cfg-l");
  store->job_settled(h.run_id, 3, "extract", JobState::success, "unchanged", "cfg-e");
  store->job_settled(h.run_id, 3, "extract", JobState::success, "unchanged, again",
                     "cfg-e");
  store->job_started(h.run_id, 3, "load", 1, "cfg-l2");
  store->flush();
  store->job_finished(h.run_id, 3, "load", 1, JobState::success, "", 5, {{"rows", 7.0}}, {});
  store->flush();
  RawDb raw(path);
  CHECK(raw.count("SELECT count(*) FROM attempts WHERE try_number = 3 AND job = 'extract'") == 1);
  CHECK(raw.scalar("SELECT error || '/' || config_hash FROM attempts WHERE try_number = 3 AND "
                   "job = 'extract'") == "unchanged, again/cfg-e");
  CHECK(raw.count("SELECT count(*) FROM attempts WHERE try_number = 3 AND job = 'load'") == 1);
  CHECK(raw.scalar("SELECT state || '/' || (started_at IS NOT NULL) || '/' || config_hash FROM "
                   "attempts WHERE try_number = 3 AND job = 'load'") == "success/1/cfg-l2");
  detail = store->get_run(h.run_id);
  CHECK(detail->jobs[1].metrics.at("rows") == 7.0);
  CHECK(detail->jobs[1].attempts == 4);
}

TEST_CASE("a database with a newer schema is refused and left untouched", "[state][schema]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  {
    RawDb raw(path);
    raw.exec("CREATE TABLE future(x); PRAGMA user_version = 99;");
  }
  std::string before = test::read_bytes(path);
  try {
    test::open_store(path);
    FAIL("opened a newer schema");
  } catch (const StoreError& e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains(path));
    CHECK_THAT(msg, Catch::Contains("schema version 99"));
    CHECK_THAT(msg, Catch::Contains("version " + std::to_string(current_schema_version())));
  }
  CHECK(test::read_bytes(path) == before);
}

TEST_CASE("a corrupt file is refused with a clear error and left untouched",
          "[state][schema]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  std::mt19937 rng(42);
  std::string garbage(8192, '\0');
  for (auto& c : garbage) c = static_cast<char>(rng() & 0xff);
  test::write_bytes(path, garbage);
  try {
    test::open_store(path);
    FAIL("opened a corrupt file");
  } catch (const StoreError& e) {
    CHECK_THAT(e.what(), Catch::Contains(path));
    CHECK_THAT(e.what(), Catch::Contains("not a readable jobhost state database"));
  }
  CHECK(test::read_bytes(path) == garbage);
}

TEST_CASE("an SQLite file that is not a jobhost store is refused", "[state][schema]") {
  test::TempDir dir;
  std::string path = dir.str("other.db");
  {
    RawDb raw(path);
    raw.exec("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)");
  }
  std::string before = test::read_bytes(path);
  CHECK_THROWS_WITH(test::open_store(path), Catch::Contains("not a jobhost state store"));
  CHECK(test::read_bytes(path) == before);
}

TEST_CASE("an unwritable location is refused with a clear error", "[state][schema]") {
  test::TempDir dir;
  SECTION("the folder cannot be created (a file is in the way)") {
    test::write_bytes(dir.str("blocker"), "not a folder");
    std::string path = dir.str("blocker/sub/state.db");
    CHECK_THROWS_WITH(test::open_store(path), Catch::Contains("cannot create folder") &&
                                                  Catch::Contains(path));
    CHECK(test::read_bytes(dir.str("blocker")) == "not a folder");
  }
  SECTION("the folder is read-only") {
    if (::geteuid() == 0) {
      WARN("running as root: permission bits do not stop root; case skipped");
      return;
    }
    std::filesystem::create_directory(dir.str("ro"));
    std::filesystem::permissions(dir.str("ro"), std::filesystem::perms::owner_read |
                                                    std::filesystem::perms::owner_exec);
    std::string path = dir.str("ro/state.db");
    CHECK_THROWS_WITH(test::open_store(path), Catch::Contains(path));
    std::filesystem::permissions(dir.str("ro"), std::filesystem::perms::owner_all);
  }
  SECTION("the path is a folder") {
    std::filesystem::create_directory(dir.str("adir"));
    CHECK_THROWS_WITH(test::open_store(dir.str("adir")), Catch::Contains(dir.str("adir")));
  }
}

TEST_CASE("a new store has 8 KiB pages, an existing one keeps its page size", "[state][schema]") {
  test::TempDir dir;
  test::open_store(dir.str("new.db"));
  CHECK(RawDb(dir.str("new.db")).scalar("PRAGMA page_size") == "8192");
  {
    RawDb raw(dir.str("old.db"));
    raw.exec("PRAGMA page_size=4096");
    raw.exec(kSchemaV1);
  }
  test::open_store(dir.str("old.db"));
  CHECK(RawDb(dir.str("old.db")).scalar("PRAGMA page_size") == "4096");
}

TEST_CASE("a version 6 store gains logical times: its runs keep their rows and get a day",
          "[state][schema][logical_time]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  // Written by the jobhost of schema version 6 itself, not by this file's SQL.
  RawDb(path).exec(test::read_bytes(JOBHOST_SOURCE_DIR
                                    "/tests/fixtures/stores/v6_two_daily_runs.sql"));
  auto store = test::open_store(path);
  CHECK(store->schema_version() == 7);
  auto run = store->get_run("daily-20261127-de79bd");
  REQUIRE(run);
  CHECK(run->summary.logical_date == "2026-11-27");
  CHECK(run->summary.logical_time == "2026-11-27T00:00:00Z");
  CHECK(run->summary.data_interval_start == "2026-11-27T00:00:00Z");
  CHECK(run->summary.data_interval_end == "2026-11-28T00:00:00Z");
  CHECK(run->summary.status == "failed");
  CHECK(store->find_run_id("daily", "2026-11-26") == "daily-20261126-ddc752");

  // The next try of an old run, and a run of an instant beside it.
  auto next = store->peek_run("daily", "2026-11-27");
  REQUIRE(next);
  CHECK(next->data_interval_end == "2026-11-28T00:00:00Z");
  auto h = store->begin_run(test::make_begin("daily", "2026-11-27"));
  CHECK(h.run_id == "daily-20261127-de79bd");
  CHECK(h.try_number == 2);
  auto b = test::make_begin("daily", "2026-11-27T06:00:00Z");
  b.logical_time = "2026-11-27T06:00:00Z";
  b.data_interval_start = "2026-11-27T05:00:00Z";
  b.data_interval_end = "2026-11-27T06:00:00Z";
  auto instant = store->begin_run(b);
  CHECK_FALSE(instant.existed);
  CHECK(std::regex_match(instant.run_id, std::regex("daily-20261127T060000Z-[0-9a-f]{6}")));
  auto shown = store->get_run(instant.run_id);
  REQUIRE(shown);
  CHECK(shown->summary.logical_date == "2026-11-27T06:00:00Z");  // the key
  CHECK(shown->summary.logical_time == "2026-11-27T06:00:00Z");
  CHECK(shown->summary.data_interval_start == "2026-11-27T05:00:00Z");
  // Peeking reports the recorded interval: PipelineRun keeps it for a try that names none.
  auto again = store->peek_run("daily", "2026-11-27T06:00:00Z");
  REQUIRE(again);
  CHECK(again->data_interval_start == "2026-11-27T05:00:00Z");
  CHECK(store->list_runs("daily", 10).size() == 3);

  RawDb raw(path);
  CHECK(raw.count("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'") ==
        0);
  CHECK(raw.count("SELECT count(*) FROM pragma_foreign_key_check") == 0);
}

TEST_CASE("the version 7 step leaves a run whose date is not a calendar date to the readers",
          "[state][schema][logical_time]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  {
    RawDb raw(path);
    raw.exec(kSchemaV1);
    raw.exec(
        "INSERT INTO runs VALUES('odd-20260230-abcdef', 'odd', '2026-02-30', '{}', 'h0', "
        "'failed', '2026-11-27T06:00:00.000Z', '2026-11-27T06:01:00.000Z', 1);");
  }
  auto store = test::open_store(path);
  auto run = store->get_run("odd-20260230-abcdef");
  REQUIRE(run);
  CHECK(RawDb(path).scalar("SELECT logical_time FROM runs").empty());
  CHECK(run->summary.logical_time == "2026-02-30T00:00:00Z");
  CHECK(run->summary.data_interval_start == "2026-02-30T00:00:00Z");
}
