// ingestion.jsonl: columns by JSON pointer, types, bad lines.
#include <catch2/catch.hpp>

#include "support.hpp"
#include "warehouse.hpp"

using jobhost::test::query;
using jobhost::test::run_job;
using jobhost::test::TempDir;
using jobhost::test::write_file;
using Rows = std::vector<std::vector<std::string>>;

TEST_CASE("jsonl: columns by JSON pointer with types, bad lines quarantined", "[jsonl]") {
  TempDir dir;
  write_file(dir.str("e.jsonl"),
             "{\"id\": 1, \"user\": {\"name\": \"ann\"}, \"ts\": \"2024-01-02T03:04:05Z\", \"score\": 2.5}\n"
             "\n"
             "{\"id\": \"2\", \"user\": {}, \"ts\": null, \"score\": 3, \"tags\": [1, 2]}\r\n"
             "not json\n"
             "{\"id\": \"two\"}\n"
             "[1]\n");
  auto r = run_job("ingestion.jsonl",
                   "path = '" + dir.str("*.jsonl") + "'\ndatabase = '" + dir.str("w.db") +
                       "'\ntable = 'events'\nquarantine_table = 'rejects'\n"
                       "columns = { id = 'INTEGER', name = { pointer = '/user/name' }, ts = 'TIMESTAMP', "
                       "score = 'REAL', tags = 'TEXT' }");
  REQUIRE(r.error == "");
  CHECK(r.metrics.at("rows_read") == 5);
  CHECK(r.metrics.at("rows_loaded") == 2);
  CHECK(r.metrics.at("rows_rejected") == 3);
  CHECK(query(dir.str("w.db"), "SELECT id, typeof(id), name, ts, score, tags FROM events ORDER BY id") ==
        Rows{{"1", "integer", "ann", "2024-01-02 03:04:05", "2.5", "NULL"},
             {"2", "integer", "NULL", "NULL", "3.0", "[1,2]"}});
  auto rejects = query(dir.str("w.db"), "SELECT line_number, reason FROM rejects ORDER BY line_number");
  REQUIRE(rejects.size() == 3);
  CHECK(rejects[0][0] == "4");
  CHECK_THAT(rejects[0][1], Catch::StartsWith("invalid JSON"));
  CHECK(rejects[1] == std::vector<std::string>{"5", "column 'id': 'two' is not an INTEGER"});
  CHECK(rejects[2] == std::vector<std::string>{"6", "not a JSON object"});
}

TEST_CASE("jsonl: a bad line without quarantine fails naming file and line", "[jsonl]") {
  TempDir dir;
  write_file(dir.str("e.jsonl"), "{\"a\": 1}\n{\"a\": \n");
  auto r = run_job("ingestion.jsonl", "path = '" + dir.str("e.jsonl") + "'\ndatabase = '" + dir.str("w.db") +
                                          "'\ntable = 't'\ncolumns = { a = 'INTEGER' }");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains(dir.str("e.jsonl") + ":2: invalid JSON"));
  r = run_job("ingestion.jsonl", "path = '" + dir.str("e.jsonl") + "'\ndatabase = '" + dir.str("w.db") +
                                     "'\ntable = 't'\ncolumns = { a = { pointer = 'a' } }");
  CHECK_THAT(r.error, Catch::Contains("'columns.a.pointer' = 'a' is not a JSON pointer"));
}
