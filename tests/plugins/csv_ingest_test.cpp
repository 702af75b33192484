// ingestion.csv: types, dates, modes, quarantine and failure behaviour.
#include <catch2/catch.hpp>

#include "support.hpp"
#include "warehouse.hpp"

using jobhost::test::query;
using jobhost::test::run_job;
using jobhost::test::scalar;
using jobhost::test::TempDir;
using jobhost::test::write_file;
using Rows = std::vector<std::vector<std::string>>;

namespace {
std::string base_config(const TempDir& dir, const std::string& file = "in.csv", const std::string& table = "t") {
  return "path = '" + dir.str(file) + "'\ndatabase = '" + dir.str("w.db") + "'\ntable = '" + table + "'\n";
}
}  // namespace

TEST_CASE("csv: typed columns, both column forms, date formats stored as ISO-8601", "[csv]") {
  TempDir dir;
  write_file(dir.str("in.csv"),
             "day,when,n,x,label\n"
             "2012/01/31,Jan 1 2000,7,1.5,a\n"
             "2012/02/29,Feb 29 2004,-3,,b\n");
  std::string log;
  auto r = run_job("ingestion.csv",
                   base_config(dir) +
                       "columns = { day = { type = 'DATE', date_format = '%Y/%m/%d' }, "
                       "when = { type = 'DATE', date_format = '%b %d %Y' }, n = 'INTEGER', x = 'real' }",
                   &log);
  REQUIRE(r.error == "");
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(query(dir.str("w.db"), "SELECT day, \"when\", n, typeof(n), x, typeof(x), label FROM t ORDER BY rowid") ==
        Rows{{"2012-01-31", "2000-01-01", "7", "integer", "1.5", "real", "a"},
             {"2012-02-29", "2004-02-29", "-3", "integer", "NULL", "null", "b"}});
  CHECK(r.metrics.at("rows_read") == 2);
  CHECK(r.metrics.at("rows_loaded") == 2);
  CHECK(r.metrics.at("rows_rejected") == 0);
  CHECK(r.outputs.at("rows_loaded") == "2");
  // Declared types: dates are ISO TEXT.
  CHECK(query(dir.str("w.db"), "SELECT name, type FROM pragma_table_info('t')") ==
        Rows{{"day", "TEXT"}, {"when", "TEXT"}, {"n", "INTEGER"}, {"x", "REAL"}, {"label", "TEXT"}});
}

TEST_CASE("csv: timestamps, ISO default and with a format", "[csv]") {
  TempDir dir;
  write_file(dir.str("in.csv"), "a,b\n2010-01-02T03:04:05Z,2010/01/01 13:00\n2010-01-02,2010/12/31 00:59\n");
  auto r = run_job("ingestion.csv", base_config(dir) +
                                        "columns = { a = 'TIMESTAMP', b = { type = 'TIMESTAMP', "
                                        "date_format = '%Y/%m/%d %H:%M' } }");
  REQUIRE(r.error == "");
  CHECK(query(dir.str("w.db"), "SELECT a, b FROM t ORDER BY rowid") ==
        Rows{{"2010-01-02 03:04:05", "2010-01-01 13:00:00"}, {"2010-01-02 00:00:00", "2010-12-31 00:59:00"}});
}

TEST_CASE("csv: a wrong value type or impossible date fails naming file, line, column and job", "[csv]") {
  TempDir dir;
  write_file(dir.str("in.csv"), "n,d\n1,2012-01-01\nabc,2012-01-02\n");
  auto r = run_job("ingestion.csv", base_config(dir) + "columns = { n = 'INTEGER', d = 'DATE' }");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("job 'job' (ingestion.csv)"));
  CHECK_THAT(r.error, Catch::Contains(dir.str("in.csv") + ":3: column 'n': 'abc' is not an INTEGER"));
  CHECK_FALSE(scalar(dir.str("w.db"), "SELECT count(*) FROM sqlite_master WHERE name = 't'") == "1");

  write_file(dir.str("in.csv"), "n,d\n1,2021-02-30\n");
  r = run_job("ingestion.csv", base_config(dir) + "columns = { n = 'INTEGER', d = 'DATE' }");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains(":2: column 'd': '2021-02-30' is not a DATE"));
}

TEST_CASE("csv: a malformed row fails the job and leaves the previous table", "[csv]") {
  TempDir dir;
  write_file(dir.str("in.csv"), "a,b\n1,2\n");
  REQUIRE(run_job("ingestion.csv", base_config(dir)).status == JH_STATUS_OK);
  write_file(dir.str("in.csv"), "a,b\n3,4\n5,6,7\n");
  auto r = run_job("ingestion.csv", base_config(dir));
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains(dir.str("in.csv") + ":3: expected 2 fields, found 3"));
  CHECK(query(dir.str("w.db"), "SELECT a, b FROM t") == Rows{{"1", "2"}});
}

TEST_CASE("csv: bad rows go to the quarantine table with file, line, reason and raw text", "[csv]") {
  TempDir dir;
  write_file(dir.str("in.csv"), "n,s\n1,\"multi\nline\"\nx,bad\n3,ok\n4,\"open\n");
  auto config = base_config(dir) + "columns = { n = 'INTEGER' }\nquarantine_table = 'rejects'";
  for (int run = 0; run < 2; ++run) {  // a rerun replaces the rejects instead of adding to them
    auto r = run_job("ingestion.csv", config);
    REQUIRE(r.error == "");
    CHECK(r.metrics.at("rows_read") == 4);
    CHECK(r.metrics.at("rows_loaded") == 2);
    CHECK(r.metrics.at("rows_rejected") == 2);
    CHECK(query(dir.str("w.db"), "SELECT n, s FROM t ORDER BY n") == Rows{{"1", "multi\nline"}, {"3", "ok"}});
    CHECK(query(dir.str("w.db"), "SELECT target_table, source_file, line_number, reason, raw_line FROM rejects "
                                 "ORDER BY line_number") ==
          Rows{{"t", dir.str("in.csv"), "4", "column 'n': 'x' is not an INTEGER", "x,bad"},
               {"t", dir.str("in.csv"), "6", "unterminated quoted field (field 2)", "4,\"open"}});
  }
}

TEST_CASE("csv: exceeding max_bad_rows is fatal and writes nothing", "[csv]") {
  TempDir dir;
  write_file(dir.str("in.csv"), "n\n1\n");
  REQUIRE(run_job("ingestion.csv", base_config(dir)).status == JH_STATUS_OK);
  write_file(dir.str("in.csv"), "n\n2\nx\ny\n3\n");
  auto config = base_config(dir) + "columns = { n = 'INTEGER' }\nquarantine_table = 'rejects'\n";
  auto r = run_job("ingestion.csv", config + "max_bad_rows = 1");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains(":4: column 'n': 'y' is not an INTEGER (2 bad rows, more than max_bad_rows = 1)"));
  CHECK_THAT(r.error, Catch::Contains("nothing was written to 't'"));
  CHECK(query(dir.str("w.db"), "SELECT n FROM t") == Rows{{"1"}});
  CHECK(scalar(dir.str("w.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'rejects'") == "0");

  r = run_job("ingestion.csv", config + "max_bad_rows = 2");
  REQUIRE(r.error == "");
  CHECK(query(dir.str("w.db"), "SELECT n FROM t ORDER BY n") == Rows{{"2"}, {"3"}});
}

TEST_CASE("csv: replace_partition is idempotent and keeps other partitions", "[csv]") {
  TempDir dir;
  auto config = [&](const std::string& day) {
    return base_config(dir) + "mode = 'replace_partition'\npartition_column = 'ds'\npartition_value = '" + day +
           "'\ncolumns = { n = 'INTEGER' }";
  };
  write_file(dir.str("in.csv"), "n\n1\n2\n");
  REQUIRE(run_job("ingestion.csv", config("2024-01-01")).error == "");
  write_file(dir.str("in.csv"), "n\n10\n20\n30\n");
  for (int run = 0; run < 2; ++run) {
    auto r = run_job("ingestion.csv", config("2024-01-02"));
    REQUIRE(r.error == "");
    CHECK(r.metrics.at("rows_replaced") == (run == 0 ? 0 : 3));
    CHECK(query(dir.str("w.db"), "SELECT ds, count(*), sum(n) FROM t GROUP BY ds ORDER BY ds") ==
          Rows{{"2024-01-01", "2", "3"}, {"2024-01-02", "3", "60"}});
  }
}

TEST_CASE("csv: append adds rows, replace replaces them", "[csv]") {
  TempDir dir;
  write_file(dir.str("in.csv"), "n\n1\n");
  REQUIRE(run_job("ingestion.csv", base_config(dir) + "mode = 'append'").error == "");
  REQUIRE(run_job("ingestion.csv", base_config(dir) + "mode = 'append'").error == "");
  CHECK(scalar(dir.str("w.db"), "SELECT count(*) FROM t") == "2");
  REQUIRE(run_job("ingestion.csv", base_config(dir)).error == "");
  CHECK(scalar(dir.str("w.db"), "SELECT count(*) FROM t") == "1");
}

TEST_CASE("csv: glob paths load every matching file, their headers must agree", "[csv]") {
  TempDir dir;
  write_file(dir.str("a-1.csv"), "n\n1\n");
  write_file(dir.str("a-2.csv"), "n\n2\n3\n");
  auto r = run_job("ingestion.csv", base_config(dir, "a-*.csv"));
  REQUIRE(r.error == "");
  CHECK(r.metrics.at("rows_loaded") == 3);
  write_file(dir.str("a-3.csv"), "m\n4\n");
  r = run_job("ingestion.csv", base_config(dir, "a-*.csv"));
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains(dir.str("a-3.csv") + ":1: the header differs"));
}

TEST_CASE("csv: missing files and config mistakes are fatal and clear", "[csv]") {
  TempDir dir;
  auto r = run_job("ingestion.csv", base_config(dir, "nope.csv"));
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("job 'job' (ingestion.csv): path '" + dir.str("nope.csv") + "': no such file"));
  r = run_job("ingestion.csv", base_config(dir, "*.nothing"));
  CHECK_THAT(r.error, Catch::Contains("no file matches"));

  write_file(dir.str("in.csv"), "a\n1\n");
  r = run_job("ingestion.csv", base_config(dir) + "delimeter = ';'");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("unknown key 'delimeter' (valid keys: database, table, mode"));
  r = run_job("ingestion.csv", base_config(dir) + "columns = { b = 'INTEGER' }");
  CHECK_THAT(r.error, Catch::Contains("'columns.b' is not a column of " + dir.str("in.csv") + " (header: a)"));
  r = run_job("ingestion.csv", base_config(dir) + "columns = { a = 'NUMBER' }");
  CHECK_THAT(r.error, Catch::Contains("'columns.a' = 'NUMBER' is not one of TEXT"));
  r = run_job("ingestion.csv", base_config(dir) + "columns = { a = { type = 'DATE', format = '%Y' } }");
  CHECK_THAT(r.error, Catch::Contains("unknown key 'columns.a.format'"));
  r = run_job("ingestion.csv", base_config(dir) + "mode = 'replace_partition'");
  CHECK_THAT(r.error, Catch::Contains("missing required key 'partition_column'"));
  r = run_job("ingestion.csv", "path = 'x.csv'");
  CHECK_THAT(r.error, Catch::Contains("missing required key 'database'"));
}
