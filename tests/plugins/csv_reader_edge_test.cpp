// ingestion.csv: RFC 4180 quoting edge cases and streaming across read-buffer boundaries.
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
Rows load(const TempDir& dir, const std::string& content, const std::string& extra = "") {
  write_file(dir.str("in.csv"), content);
  auto r = run_job("ingestion.csv", "path = '" + dir.str("in.csv") + "'\ndatabase = '" + dir.str("w.db") +
                                        "'\ntable = 't'\n" + extra);
  if (r.status != JH_STATUS_OK) FAIL(r.error);
  return query(dir.str("w.db"), "SELECT * FROM t ORDER BY rowid");
}
}  // namespace

TEST_CASE("csv quoting: delimiters, doubled quotes, line breaks, CRLF, empty fields", "[csv][rfc4180]") {
  TempDir dir;
  CHECK(load(dir, "a,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n,\"\",last\r\n") ==
        Rows{{"x,y", "say \"hi\"", "two\r\nlines"}, {"", "", "last"}});
  // No final line break, blank lines skipped, a UTF-8 byte order mark ignored.
  CHECK(load(dir, "\xEF\xBB\xBF" "a,b\n\n1,2\n\n3,4") == Rows{{"1", "2"}, {"3", "4"}});
  // A quoted header and a quote at the very end of the file.
  CHECK(load(dir, "\"a\",\"b\"\n\"1\",\"2\"") == Rows{{"1", "2"}});
}

TEST_CASE("csv quoting: other delimiters and header = false", "[csv][rfc4180]") {
  TempDir dir;
  CHECK(load(dir, "a;b\n1;\"x;y\"\n", "delimiter = ';'") == Rows{{"1", "x;y"}});
  CHECK(load(dir, "a\tb\n1\t2\n", "delimiter = '\\t'") == Rows{{"1", "2"}});
  CHECK(load(dir, "1,x\n2,y\n", "header = false\ncolumns = { n = 'INTEGER', s = 'TEXT' }") ==
        Rows{{"1", "x"}, {"2", "y"}});
}

TEST_CASE("csv quoting: line numbers count line breaks inside quoted fields", "[csv][rfc4180]") {
  TempDir dir;
  write_file(dir.str("in.csv"), "a,b\n\"1\n2\n3\",x\n4,\"y\"z\n");
  auto r = run_job("ingestion.csv", "path = '" + dir.str("in.csv") + "'\ndatabase = '" + dir.str("w.db") +
                                        "'\ntable = 't'");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains(":5: unexpected character after a closing quote (field 2)"));
}

TEST_CASE("csv streaming: records larger than and spanning the read buffer", "[csv][rfc4180]") {
  TempDir dir;
  std::string big(3 << 20, 'x');  // longer than the 1 MiB read block
  big[1000] = '"';
  std::string content = "id,body\n";
  for (int i = 0; i < 20000; ++i) content += std::to_string(i) + ",\"r" + std::to_string(i) + ",\"\"q\"\"\"\n";
  std::string escaped = big;
  escaped.replace(1000, 1, "\"\"");
  content += "20000,\"" + escaped + "\"\n";
  for (int i = 20001; i < 40000; ++i) content += std::to_string(i) + ",plain\n";
  write_file(dir.str("in.csv"), content);
  auto r = run_job("ingestion.csv", "path = '" + dir.str("in.csv") + "'\ndatabase = '" + dir.str("w.db") +
                                        "'\ntable = 't'\ncolumns = { id = 'INTEGER' }");
  REQUIRE(r.error == "");
  CHECK(r.metrics.at("rows_loaded") == 40000);
  CHECK(scalar(dir.str("w.db"), "SELECT sum(id) FROM t") == std::to_string(39999LL * 40000 / 2));
  CHECK(scalar(dir.str("w.db"), "SELECT count(*) FROM t WHERE id < 20000 AND body = 'r' || id || ',\"q\"'") == "20000");
  CHECK(scalar(dir.str("w.db"), "SELECT length(body) FROM t WHERE id = 20000") == std::to_string(big.size()));
  CHECK(scalar(dir.str("w.db"), "SELECT substr(body, 1000, 3) FROM t WHERE id = 20000") == "x\"x");
}
