#include <catch2/catch.hpp>

#include "sqlite_fixture.hpp"
#include "support.hpp"

using namespace jobhost;
using jobhost::test::run_job;
using jobhost::test::sql_exec;
using jobhost::test::sql_value;
using jobhost::test::TempDir;

namespace {
// events: one row per day 2026-10-01 .. 2026-11-28 (the test run's logical date), plus a
// row with a NULL day.
std::string make_events(const TempDir& dir) {
  auto db = dir.str("w.db");
  sql_exec(db,
           "CREATE TABLE events(day TEXT, v INTEGER);"
           "WITH RECURSIVE d(x) AS (SELECT '2026-10-01' UNION ALL SELECT date(x, '+1 day') FROM d "
           "WHERE x < '2026-11-28') INSERT INTO events SELECT x, 1 FROM d;"
           "INSERT INTO events VALUES (NULL, 2);");
  return db;
}
std::string config(const std::string& db, const std::string& extra) {
  return "database = '" + db + "'\ntable = 'events'\npartition_column = 'day'\n" + extra;
}
}  // namespace

TEST_CASE("utilities.retention: deletes partitions older than keep_days before the logical date", "[retention]") {
  TempDir dir;
  auto db = make_events(dir);
  auto r = run_job("utilities.retention", config(db, "keep_days = 7"));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("cutoff_date") == "2026-11-21");
  // October (31 days) and 2026-11-01 .. 2026-11-20.
  CHECK(r.metrics.at("rows_deleted") == 51);
  CHECK(sql_value(db, "SELECT min(day) FROM events") == "2026-11-21");
  CHECK(sql_value(db, "SELECT count(*) FROM events WHERE day IS NULL") == "1");

  // Idempotent: the same date again deletes nothing.
  r = run_job("utilities.retention", config(db, "keep_days = 7\nvacuum = false"));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.metrics.at("rows_deleted") == 0);
}

TEST_CASE("utilities.retention: the cutoff crosses month boundaries, keep_days 0 keeps only today", "[retention]") {
  TempDir dir;
  auto db = make_events(dir);
  auto r = run_job("utilities.retention", config(db, "keep_days = 30\nvacuum = false"));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("cutoff_date") == "2026-10-29");
  CHECK(sql_value(db, "SELECT min(day) FROM events") == "2026-10-29");
  r = run_job("utilities.retention", config(db, "keep_days = 0"));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(sql_value(db, "SELECT count(*) FROM events WHERE day IS NOT NULL") == "1");
}

TEST_CASE("utilities.retention: mistakes are fatal and delete nothing", "[retention]") {
  TempDir dir;
  auto db = make_events(dir);
  auto expect_fatal = [&](const std::string& cfg, const std::string& needle) {
    auto r = run_job("utilities.retention", cfg);
    CHECK(r.status == JH_STATUS_FATAL);
    CHECK_THAT(r.error, Catch::Contains(needle));
  };
  expect_fatal(config(db, ""), "missing required key 'keep_days'");
  expect_fatal(config(db, "keep_days = -1"), "'keep_days'");
  expect_fatal(config(db, "keep_days = '7'"), "'keep_days' has the wrong type");
  expect_fatal("database = '" + db + "'\ntable = 'nope'\npartition_column = 'day'\nkeep_days = 1",
               "table 'nope' not found");
  expect_fatal("database = '" + db + "'\ntable = 'events'\npartition_column = 'dt'\nkeep_days = 1",
               "has no column 'dt'");
  expect_fatal(config(dir.str("absent.db"), "keep_days = 1"), "cannot open database");
  // 20120101 is below every ISO date as text (and as an INTEGER below every text in a
  // column without affinity): refuse instead of deleting it.
  sql_exec(db, "INSERT INTO events VALUES (20120101, 3);");
  expect_fatal(config(db, "keep_days = 7"), "not an ISO date ('20120101')");
  CHECK(sql_value(db, "SELECT count(*) FROM events") == "61");
  sql_exec(db, "CREATE TABLE untyped(day, v); INSERT INTO untyped VALUES ('2000-01-01', 1), (20120101, 2);");
  expect_fatal("database = '" + db + "'\ntable = 'untyped'\npartition_column = 'day'\nkeep_days = 1",
               "not an ISO date (20120101)");
  CHECK(sql_value(db, "SELECT count(*) FROM untyped") == "2");
}
