// aggregation.rollup: GROUP BY from config, declared types, atomic replacement.
#include <catch2/catch.hpp>

#include "support.hpp"
#include "warehouse.hpp"

using jobhost::test::exec;
using jobhost::test::query;
using jobhost::test::run_job;
using jobhost::test::TempDir;
using Rows = std::vector<std::vector<std::string>>;

TEST_CASE("rollup: group_by columns and expressions, measures in order, where", "[rollup]") {
  TempDir dir;
  exec(dir.str("w.db"),
       "CREATE TABLE s(date TEXT, city TEXT, p REAL);"
       "INSERT INTO s VALUES ('2024-01-01', 'a', 1), ('2024-01-15', 'a', 0), ('2024-02-01', 'a', 2),"
       " ('2024-01-03', 'b', 5), ('2023-12-31', 'a', 9);");
  auto config = "database = '" + dir.str("w.db") +
                "'\nsource = 's'\ntarget = 'g'\n"
                "group_by = ['city', { name = 'month', expr = 'substr(date, 1, 7)' }]\n"
                "measures = { days = 'count(*)', total_p = 'sum(p)', wet = 'sum(p > 0)' }\n"
                "where = \"date >= '2024-01-01'\"\ncolumn_types = { month = 'TEXT', days = 'INTEGER', wet = 'INTEGER' }";
  for (int run = 0; run < 2; ++run) {
    auto r = run_job("aggregation.rollup", config);
    REQUIRE(r.error == "");
    CHECK(r.metrics.at("rows") == 3);
    CHECK(query(dir.str("w.db"), "SELECT * FROM g") ==
          Rows{{"a", "2024-01", "2", "1.0", "1"}, {"a", "2024-02", "1", "2.0", "1"}, {"b", "2024-01", "1", "5.0", "1"}});
  }
  CHECK(query(dir.str("w.db"), "SELECT name, type FROM pragma_table_info('g')") ==
        Rows{{"city", "TEXT"}, {"month", "TEXT"}, {"days", "INTEGER"}, {"total_p", ""}, {"wet", "INTEGER"}});
}

TEST_CASE("rollup: a failing measure leaves the old target, config errors are named", "[rollup]") {
  TempDir dir;
  exec(dir.str("w.db"), "CREATE TABLE s(a); CREATE TABLE g(x); INSERT INTO g VALUES (1);");
  auto base = "database = '" + dir.str("w.db") + "'\nsource = 's'\ntarget = 'g'\ngroup_by = ['a']\n";
  auto r = run_job("aggregation.rollup", base + "measures = { n = 'count(nope)' }");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("job 'job' (aggregation.rollup): rollup of 's' into 'g'"));
  CHECK_THAT(r.error, Catch::Contains("no such column: nope"));
  CHECK(query(dir.str("w.db"), "SELECT x FROM g") == Rows{{"1"}});
  r = run_job("aggregation.rollup", base + "measures = {}");
  CHECK_THAT(r.error, Catch::Contains("'measures' must be a non-empty table"));
  r = run_job("aggregation.rollup", base + "measures = { n = 'count(*)' }\nhaving = 'n > 1'");
  CHECK_THAT(r.error, Catch::Contains("unknown key 'having'"));
  r = run_job("aggregation.rollup", "database = '" + dir.str("w.db") +
                                        "'\nsource = 'nope'\ntarget = 'g'\ngroup_by = []\nmeasures = { n = 'count(*)' }");
  CHECK_THAT(r.error, Catch::Contains("source table 'nope' does not exist"));
}
