// processing.sql and aggregation.sql: statements in one transaction, atomic materialisation,
// templates in sql_file, SQL errors.
#include <catch2/catch.hpp>

#include "support.hpp"
#include "warehouse.hpp"

using jobhost::test::exec;
using jobhost::test::query;
using jobhost::test::run_job;
using jobhost::test::scalar;
using jobhost::test::TempDir;
using jobhost::test::write_file;
using Rows = std::vector<std::vector<std::string>>;

namespace {
std::string db_line(const TempDir& dir) { return "database = '" + dir.str("w.db") + "'\n"; }
}  // namespace

TEST_CASE("processing.sql: materialises the last query into target, earlier statements run first", "[sql]") {
  TempDir dir;
  exec(dir.str("w.db"), "CREATE TABLE src(k TEXT, v REAL); INSERT INTO src VALUES ('a', 1), ('a', 1), ('b', 2.5);");
  auto r = run_job("processing.sql",
                   db_line(dir) + "target = 'dst'\ncolumn_types = { n = 'INTEGER' }\nsql = '''\n"
                                  "CREATE TEMP TABLE dedup AS SELECT DISTINCT * FROM src;  -- used below\n"
                                  "SELECT k, v, count(*) AS n FROM dedup GROUP BY k ORDER BY k;\n"
                                  "-- trailing comment\n'''");
  REQUIRE(r.error == "");
  CHECK(r.metrics.at("rows") == 2);
  CHECK(r.metrics.at("statements") == 2);
  CHECK(r.outputs.at("rows") == "2");
  CHECK(query(dir.str("w.db"), "SELECT k, v, n FROM dst") == Rows{{"a", "1.0", "1"}, {"b", "2.5", "1"}});
  // Declared types: from the source column, from column_types.
  CHECK(query(dir.str("w.db"), "SELECT name, type FROM pragma_table_info('dst')") ==
        Rows{{"k", "TEXT"}, {"v", "REAL"}, {"n", "INTEGER"}});
  CHECK(scalar(dir.str("w.db"), "SELECT count(*) FROM sqlite_master WHERE name LIKE '_jobhost_staging%'") == "0");
}

TEST_CASE("processing.sql: without target, runs statements in one transaction", "[sql]") {
  TempDir dir;
  auto r = run_job("processing.sql", db_line(dir) + "sql = 'CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);'");
  REQUIRE(r.error == "");
  CHECK(r.metrics.at("changes") == 2);
  // A failing statement rolls back the ones before it.
  r = run_job("processing.sql", db_line(dir) + "sql = 'INSERT INTO t VALUES (3); INSERT INTO nope VALUES (4);'");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("job 'job' (processing.sql): sql, statement 2 [INSERT INTO nope VALUES (4);]: "
                                      "no such table: nope"));
  CHECK(scalar(dir.str("w.db"), "SELECT count(*) FROM t") == "2");
}

TEST_CASE("processing.sql: a failing query leaves the old target intact", "[sql]") {
  TempDir dir;
  exec(dir.str("w.db"), "CREATE TABLE dst(x); INSERT INTO dst VALUES (42);");
  // Fails while filling the staging table (a runtime error, after the query was prepared).
  auto r = run_job("aggregation.sql", db_line(dir) + "target = 'dst'\nsql = \"SELECT json('not json') AS x\"");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("malformed JSON"));
  CHECK(query(dir.str("w.db"), "SELECT x FROM dst") == Rows{{"42"}});
  CHECK(scalar(dir.str("w.db"), "SELECT count(*) FROM sqlite_master WHERE name LIKE '_jobhost_staging%'") == "0");
  // Fails at prepare time.
  r = run_job("aggregation.sql", db_line(dir) + "target = 'dst'\nsql = 'SELEC 1'");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("near \"SELEC\": syntax error"));
  CHECK(query(dir.str("w.db"), "SELECT x FROM dst") == Rows{{"42"}});
}

TEST_CASE("aggregation.sql: needs a target and a query returning rows", "[sql]") {
  TempDir dir;
  auto r = run_job("aggregation.sql", db_line(dir) + "sql = 'SELECT 1'");
  CHECK_THAT(r.error, Catch::Contains("missing required key 'target'"));
  r = run_job("aggregation.sql", db_line(dir) + "target = 'x'\nsql = 'CREATE TABLE y(a)'");
  CHECK_THAT(r.error, Catch::Contains("needs a query that returns rows"));
  r = run_job("aggregation.sql", db_line(dir) + "target = 'x'\nsql = 'SELECT 1 AS a, 2 AS a'");
  CHECK_THAT(r.error, Catch::Contains("returns column 'a' twice"));
  r = run_job("aggregation.sql", db_line(dir) + "target = 'x'\nsql = 'SELECT 1 AS a'\ncolumn_types = { b = 'TEXT' }");
  CHECK_THAT(r.error, Catch::Contains("column_types names 'b', which the query for 'x' does not return (columns: a)"));
  r = run_job("aggregation.sql", db_line(dir) + "target = 'x'\nsql = 'SELECT 1'\nquery = 'oops'");
  CHECK_THAT(r.error, Catch::Contains("unknown key 'query' (valid keys: database, sql, sql_file, target, column_types)"));
}

TEST_CASE("processing.sql: sql_file templates expand run, job and params variables", "[sql]") {
  TempDir dir;
  write_file(dir.str("q.sql"), "SELECT '{{ run.logical_date }}' AS d, '{{run.id}}' AS r, '{{ job.name }}' AS j, "
                               "'{{ params.region }}' AS p");
  auto* ref = jobhost::test::built_plugins().find("processing.sql");
  REQUIRE(ref);
  toml::table config = toml::parse(db_line(dir) + "target = 'out'\nsql_file = '" + dir.str("q.sql") + "'");
  jobhost::AttemptInput in;
  in.run_id = "run-7";
  in.job_name = "silver";
  in.logical_date = "2024-05-06";
  in.config = &config;
  in.inputs = [](std::string_view job, std::string_view key) -> std::optional<std::string> {
    if (job == "@params" && key == "region") return std::string("eu");
    return std::nullopt;
  };
  auto r = jobhost::run_attempt(*ref, in);
  REQUIRE(r.error == "");
  CHECK(query(dir.str("w.db"), "SELECT * FROM out") == Rows{{"2024-05-06", "run-7", "silver", "eu"}});

  write_file(dir.str("q.sql"), "SELECT 1 AS a;\nSELECT '{{ run.date }}' AS b");
  r = run_job("processing.sql", db_line(dir) + "target = 'out'\nsql_file = '" + dir.str("q.sql") + "'");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains(dir.str("q.sql") + ":2: unknown template variable 'run.date'"));
  write_file(dir.str("q.sql"), "SELECT '{{ params.nope }}' AS b");
  r = run_job("processing.sql", db_line(dir) + "target = 'out'\nsql_file = '" + dir.str("q.sql") + "'");
  CHECK_THAT(r.error, Catch::Contains("unknown parameter 'nope'"));
  r = run_job("processing.sql", db_line(dir) + "sql_file = '" + dir.str("missing.sql") + "'");
  CHECK_THAT(r.error, Catch::Contains("sql_file '" + dir.str("missing.sql") + "': cannot open the file"));
}
