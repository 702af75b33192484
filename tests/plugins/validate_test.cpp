// processing.validate: each check type, severities, metrics, example rows, config errors.
#include <catch2/catch.hpp>

#include "support.hpp"
#include "warehouse.hpp"

using jobhost::test::exec;
using jobhost::test::run_job;
using jobhost::test::TempDir;

namespace {
std::string setup(const TempDir& dir) {
  exec(dir.str("w.db"),
       "CREATE TABLE w(date TEXT, weather TEXT, precipitation REAL, temp_min REAL, temp_max REAL, ts TEXT);"
       "INSERT INTO w VALUES ('2024-01-01', 'sun', 0, 1, 5, '2026-11-27 10:00:00'),"
       " ('2024-01-02', 'rain', 3, 2, 6, '2026-11-26 10:00:00'),"
       " ('2024-01-02', 'hail', -1, 9, 4, NULL),"
       " (NULL, 'sun', NULL, NULL, 3, NULL);");
  return "database = '" + dir.str("w.db") + "'\ntable = 'w'\n";
}
}  // namespace

TEST_CASE("validate: passing checks report zero failures", "[validate]") {
  TempDir dir;
  auto base = setup(dir);
  auto r = run_job("processing.validate",
                   base + "checks = [ { type = 'row_count', min = 1, max = 4 },"
                          " { type = 'accepted_values', column = 'weather', values = ['sun', 'rain', 'hail'] },"
                          " { type = 'unique', columns = ['date', 'weather'] },"
                          " { type = 'freshness', column = 'ts', max_age = '2d' } ]");
  REQUIRE(r.error == "");
  CHECK(r.metrics.at("check.0.row_count.failed") == 0);
  CHECK(r.metrics.at("check.1.accepted_values.failed") == 0);
  CHECK(r.metrics.at("check.2.unique.failed") == 0);
  CHECK(r.metrics.at("check.3.freshness.failed") == 0);
  CHECK(r.metrics.at("checks_failed") == 0);
}

TEST_CASE("validate: failing error checks fail the job with counts and example rows", "[validate]") {
  TempDir dir;
  auto base = setup(dir);
  std::string log;
  auto r = run_job("processing.validate",
                   base + "checks = [ { type = 'not_null', column = 'date' },"
                          " { type = 'unique', column = 'date' },"
                          " { type = 'accepted_values', column = 'weather', values = ['sun', 'rain'] },"
                          " { type = 'range', column = 'precipitation', min = 0, max = 2 },"
                          " { type = 'expression', expr = 'temp_min <= temp_max' },"
                          " { type = 'row_count', min = 10 },"
                          " { type = 'freshness', column = 'ts', max_age = '36h', severity = 'warn' } ]",
                   &log);
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.metrics.at("check.0.not_null.failed") == 1);
  CHECK(r.metrics.at("check.1.unique.failed") == 2);
  CHECK(r.metrics.at("check.2.accepted_values.failed") == 1);
  CHECK(r.metrics.at("check.3.range.failed") == 2);
  CHECK(r.metrics.at("check.4.expression.failed") == 1);
  CHECK(r.metrics.at("check.5.row_count.failed") == 6);
  CHECK(r.metrics.at("check.6.freshness.failed") == 1);  // newest 2026-11-27 10:00 < 2026-11-29 - 36h
  CHECK(r.metrics.at("checks_failed") == 6);
  CHECK(r.metrics.at("checks_warned") == 1);
  CHECK_THAT(r.error, Catch::Contains("job 'job' (processing.validate): table 'w' failed 6 of 7 checks"));
  CHECK_THAT(log, Catch::Contains("check 2 (accepted_values weather): 1 failing row(s)"));
  CHECK_THAT(log, Catch::Contains("e.g. date='2024-01-02', weather='hail', precipitation=-1.0"));
  CHECK_THAT(log, Catch::Contains("e.g. date='2024-01-02', occurrences=2"));
  CHECK_THAT(log, Catch::Contains("[warn]"));
}

TEST_CASE("validate: warn-only failures let the job succeed", "[validate]") {
  TempDir dir;
  auto base = setup(dir);
  auto r = run_job("processing.validate", base + "checks = [ { type = 'not_null', column = 'date', severity = 'warn' } ]");
  CHECK(r.status == JH_STATUS_OK);
  CHECK(r.metrics.at("check.0.not_null.failed") == 1);
  CHECK(r.metrics.at("checks_warned") == 1);
}

TEST_CASE("validate: unknown columns, tables, types and keys are fatal and named", "[validate]") {
  TempDir dir;
  auto base = setup(dir);
  auto r = run_job("processing.validate", base + "checks = [ { type = 'not_null', column = 'dat' } ]");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("check 0 (not_null): unknown column 'dat' in table 'w' (columns: date, weather"));
  r = run_job("processing.validate", base + "checks = [ { type = 'unique', columns = ['date', 'nope'] } ]");
  CHECK_THAT(r.error, Catch::Contains("unknown column 'nope' in table 'w'"));
  r = run_job("processing.validate", base + "checks = [ { type = 'expression', expr = 'nope > 1' } ]");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("check 0 (expression nope > 1)"));
  CHECK_THAT(r.error, Catch::Contains("no such column: nope"));
  r = run_job("processing.validate", base + "checks = [ { type = 'is_null', column = 'date' } ]");
  CHECK_THAT(r.error, Catch::Contains("'checks[0].type' = 'is_null' is not one of"));
  r = run_job("processing.validate", base + "checks = [ { type = 'range', column = 'date', minimum = 1 } ]");
  CHECK_THAT(r.error, Catch::Contains("unknown key 'checks[0].minimum' (valid keys: type, severity, column, min, max)"));
  r = run_job("processing.validate", base + "checks = [ { type = 'not_null', column = 'date', severity = 'info' } ]");
  CHECK_THAT(r.error, Catch::Contains("'checks[0].severity' = 'info'"));
  r = run_job("processing.validate",
              "database = '" + dir.str("w.db") + "'\ntable = 'nope'\nchecks = [ { type = 'row_count', min = 1 } ]");
  CHECK_THAT(r.error, Catch::Contains("table 'nope' does not exist"));
}
