// What the processing job types declare to an ABI 1.1 host: the accepted [jobs.config] table
// and the published outputs as JSON Schema (the subset of docs/sdk.md), and a short doc.
//
// Both jobs also check their keys at run time (for 1.0 hosts): sql in common::run_sql_job
// (shared with aggregation.sql, whose schema has these keys with `target` required; the
// fragments both declare alike are in jobhost_common/sql_job_schema.hpp),
// validate in validate_job.cpp and, per check type, keys_by_type() in checks.cpp. A key added
// there must be added here too. The subset cannot tie a check's keys to its `type`: the item
// schema lists every check key, and the job refuses a key its check type does not take.
// The raw strings are delimited R"json(...)json" because descriptions contain `)"`; a
// JOBHOST_SCHEMA_* fragment is spliced in by closing the raw string before it and reopening it
// after it.
#pragma once

#include "jobhost_common/schema_fragments.hpp"
#include "jobhost_common/sql_job_schema.hpp"

namespace jobhost::processing {

// ---- sql ----

inline constexpr const char* kSqlSchema = R"json({
  "type": "object",
  "properties": {
    )json" JOBHOST_SCHEMA_DATABASE_CREATED R"json(,
    "sql": {
      "type": "string",
      "minLength": 1,
      "description": "SQL statements separated by ';', run in order in one transaction"
    },
    )json" JOBHOST_SCHEMA_SQL_FILE("sql/silver_weather.sql") R"json(,
    "target": {
      "type": "string",
      "minLength": 1,
      "description": "Table the last statement's rows replace atomically; without it nothing is materialised"
    },
    )json" JOBHOST_SCHEMA_COLUMN_TYPES("With target: declared types of result columns",
                                       R"json({"date": "TEXT", "precipitation": "REAL"})json") R"json(
  },
  "required": ["database"],
  )json" JOBHOST_SCHEMA_SQL_ONE_OF R"json(
})json";

inline constexpr const char* kSqlOutputs = R"json({
  "type": "object",
  "properties": {
    "rows": {"type": "integer", "description": "With target: rows now in the target"},
    "target": {"type": "string", "description": "With target: the target table"},
    "changes": {"type": "integer", "description": "Without target: rows inserted, updated or deleted"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kSqlDoc =
    "Runs SQL (`sql`, or `sql_file` with its `{{ ... }}` templates expanded) against a SQLite\n"
    "database in one transaction. With `target`, the last statement must return rows: they fill\n"
    "a staging table that replaces the target atomically, so a failure leaves the old target\n"
    "intact. A locked database is retryable, any other error fatal. The SQL must not contain its\n"
    "own BEGIN/COMMIT. Metrics: `statements`, and `rows` (with target) or `changes`.\n";

// ---- validate ----

inline constexpr const char* kValidateSchema = R"json({
  "type": "object",
  "properties": {
    )json" JOBHOST_SCHEMA_DATABASE("SQLite database file") R"json(,
    "table": {
      "type": "string",
      "minLength": 1,
      "description": "Table to check; it must exist"
    },
    "checks": {
      "type": "array",
      "description": "Checks run in order on one snapshot; each is a table with a type",
      "items": {
        "type": "object",
        "properties": {
          "type": {
            "type": "string",
            "enum": ["not_null", "unique", "accepted_values", "range", "expression", "row_count", "freshness"],
            "description": "What the check tests"
          },
          "severity": {
            "type": "string",
            "enum": ["error", "warn"],
            "default": "error",
            "description": "error: a failure fails the job; warn: it is only logged"
          },
          "column": {
            "type": "string",
            "minLength": 1,
            "description": "not_null, accepted_values, range, freshness, unique: the column checked"
          },
          "columns": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "description": "unique (instead of column): the key columns",
            "examples": [["date", "city"]]
          },
          "values": {
            "type": "array",
            "items": {"type": ["string", "number"]},
            "minItems": 1,
            "description": "accepted_values: the allowed values (strings or numbers)"
          },
          "min": {
            "type": "number",
            "description": "range: lowest allowed value; row_count: fewest rows (min, max or both)"
          },
          "max": {
            "type": "number",
            "description": "range: highest allowed value; row_count: most rows (min, max or both)"
          },
          "expr": {
            "type": "string",
            "minLength": 1,
            "description": "expression: SQL boolean per row; rows where it is false fail",
            "examples": ["temp_min <= temp_max"]
          },
          "max_age": {
            "type": "string",
            "minLength": 1,
            "description": "freshness: newest value at most this old at the end of the logical date (45s, 90m, 36h, 2d, 1w)",
            "examples": ["2d"]
          }
        },
        "required": ["type"]
      }
    }
  },
  "required": ["database", "table", "checks"]
})json";

inline constexpr const char* kValidateOutputs = R"json({
  "type": "object",
  "properties": {
    "checks_failed": {"type": "integer", "description": "Error-severity checks that failed"},
    "checks_warned": {"type": "integer", "description": "Warn-severity checks that failed"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kValidateDoc =
    "Runs data-quality checks on one table in one read transaction: `not_null`, `unique`,\n"
    "`accepted_values`, `range`, `expression`, `row_count`, `freshness` (anchored on the logical\n"
    "date). Each failing check logs its count and up to 5 example rows. An error-severity failure\n"
    "fails the job (fatal); `severity = \"warn\"` only logs. A column the table lacks is a config\n"
    "error. Metrics: `check.<index>.<type>.failed`, `checks_failed`, `checks_warned`.\n";

}  // namespace jobhost::processing
