// What the ingestion job types declare to an ABI 1.1 host: the accepted [jobs.config] table
// and the published outputs as JSON Schema (the subset of docs/sdk.md), and a short doc.
//
// Both jobs also check their keys at run time (for 1.0 hosts): the load options database ...
// max_bad_rows are kLoadOptionKeys (table_loader.cpp), the column keys are read_column_specs
// (column_spec.cpp). A key added there must be added to both schemas below, through the
// JOBHOST_SCHEMA_LOAD_* fragments where both jobs declare it alike.
//
// Column types are matched case-insensitively at run time; the enums list the upper- and
// lower-case spellings. The short form `col = "REAL"` shares its schema with the table form,
// so its value is checked when the job runs.
// The raw strings are delimited R"json(...)json" because descriptions contain `)"`; a
// JOBHOST_SCHEMA_* fragment is spliced in by closing the raw string before it and reopening it
// after it. The fragments follow jobhost_common/schema_fragments.hpp; UNIT names what a bad
// input is: "rows" (csv) or "lines" (jsonl).
#pragma once

#include "jobhost_common/schema_fragments.hpp"

// The load options "database" and "table": where the rows go.
#define JOBHOST_SCHEMA_LOAD_TARGET     \
  JOBHOST_SCHEMA_DATABASE_CREATED ", " \
  R"json("table": {"type": "string", "minLength": 1, "description": "Target table"})json"

// The load options "mode" ... "max_bad_rows": how the rows replace or join the table's.
#define JOBHOST_SCHEMA_LOAD_MODE(UNIT)                                                         \
  R"json("mode": {"type": "string", "enum": ["replace", "append", "replace_partition"], )json" \
  R"json("default": "replace", "description": )json"                                           \
  R"json("replace the table, append to it, or replace the rows of one partition"}, )json"      \
  R"json("partition_column": {"type": "string", "minLength": 1, "description": )json"          \
  R"json("replace_partition only (required there): column holding partition_value", )json"     \
  R"json("examples": ["ds"]}, )json"                                                           \
  R"json("partition_value": {"type": "string", "description": )json"                           \
  R"json("replace_partition only (required there): the partition this load replaces", )json"   \
  R"json("examples": ["{{ run.logical_date }}"]}, )json"                                       \
  R"json("quarantine_table": {"type": "string", "description": )json"                          \
  R"json("Table that receives bad )json" UNIT                                                  \
  R"json( instead of failing the job; must differ from table"}, )json"                         \
  R"json("max_bad_rows": {"type": "integer", "minimum": 0, "description": )json"               \
  R"json("Bad )json" UNIT                                                                      \
  R"json( tolerated; default unlimited with a quarantine table, else 0"})json"

// The "type" of a column given as a table (read_column_specs, column_spec.cpp).
#define JOBHOST_SCHEMA_LOAD_COLUMN_TYPE                                             \
  R"json("type": {"type": "string", )json"                                          \
  R"json("enum": ["TEXT", "INTEGER", "REAL", "DATE", "TIMESTAMP", )json"            \
  R"json("text", "integer", "real", "date", "timestamp"], "default": "TEXT", )json" \
  R"json("description": "Column type; DATE and TIMESTAMP are stored as ISO-8601 text"})json"

// The outputs of a load; ROWS_READ describes what rows_read counts.
#define JOBHOST_SCHEMA_LOAD_OUTPUTS(ROWS_READ, UNIT)                                         \
  R"json({"type": "object", "properties": {)json"                                            \
  R"json("rows_read": {"type": "integer", "description": ")json" ROWS_READ R"json("}, )json" \
  R"json("rows_loaded": {"type": "integer", )json"                                           \
  R"json("description": "Rows written to the table"}, )json"                                 \
  R"json("rows_rejected": {"type": "integer", "description": )json"                          \
  R"json("Bad )json" UNIT R"json( (quarantined or tolerated)"}, )json"                       \
  R"json("table": {"type": "string", "description": "The target table"}}, )json"             \
  R"json("additionalProperties": false})json"

namespace jobhost::ingestion {

// ---- csv ----

inline constexpr const char* kCsvSchema = R"json({
  "type": "object",
  "properties": {
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "A file or a glob(3) pattern; matches load in sorted order and share one header",
      "examples": ["data/in/*.csv", "data/in/{a,b}.csv"]
    },
    )json" JOBHOST_SCHEMA_LOAD_TARGET R"json(,
    "header": {
      "type": "boolean",
      "default": true,
      "description": "The first record names the columns; false: columns gives names and order"
    },
    "delimiter": {
      "type": "string",
      "minLength": 1,
      "default": ",",
      "description": "One character other than a quote or line break; \"\\t\" or \"tab\" for a tab",
      "examples": [";", "tab"]
    },
    "columns": {
      "type": "object",
      "additionalProperties": {
        "type": ["string", "object"],
        "description": "A type (TEXT, INTEGER, REAL, DATE, TIMESTAMP) or { type, date_format }",
        "properties": {
          )json" JOBHOST_SCHEMA_LOAD_COLUMN_TYPE R"json(,
          "date_format": {
            "type": "string",
            "description": "Input format of a DATE or TIMESTAMP column (strftime-like); default ISO-8601",
            "examples": ["%Y/%m/%d", "%b %d %Y"]
          }
        }
      },
      "description": "Column -> type; required when header = false; unlisted header columns are TEXT",
      "examples": [{"date": {"type": "DATE", "date_format": "%Y/%m/%d"}, "precipitation": "REAL"}]
    },
    )json" JOBHOST_SCHEMA_LOAD_MODE("rows") R"json(
  },
  "required": ["path", "database", "table"]
})json";

inline constexpr const char* kCsvOutputs =
    JOBHOST_SCHEMA_LOAD_OUTPUTS("Records read (after the header)", "rows");

inline constexpr const char* kCsvDoc =
    "Loads CSV files (RFC 4180; a file or a glob) into a SQLite table with typed columns, in one\n"
    "transaction: a failure leaves the warehouse as it was. `mode` replaces the table (default),\n"
    "appends, or replaces one partition (`partition_column = partition_value`). Rows that do not\n"
    "parse go to `quarantine_table`, or fail the job beyond `max_bad_rows`, in which case nothing\n"
    "is written. Metrics: `rows_read`, `rows_loaded`, `rows_rejected`, `rows_replaced`.\n";

// ---- jsonl ----

inline constexpr const char* kJsonlSchema = R"json({
  "type": "object",
  "properties": {
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "A file or a glob(3) pattern; matches load in sorted order",
      "examples": ["data/events/*.jsonl"]
    },
    )json" JOBHOST_SCHEMA_LOAD_TARGET R"json(,
    "columns": {
      "type": "object",
      "additionalProperties": {
        "type": ["string", "object"],
        "description": "A type (TEXT, INTEGER, REAL, DATE, TIMESTAMP) or { type, date_format, pointer }",
        "properties": {
          )json" JOBHOST_SCHEMA_LOAD_COLUMN_TYPE R"json(,
          "date_format": {
            "type": "string",
            "description": "Input format of a DATE or TIMESTAMP string (strftime-like); default ISO-8601",
            "examples": ["%Y/%m/%d %H:%M"]
          },
          "pointer": {
            "type": "string",
            "description": "JSON pointer to the value in each line (empty or starting with /); default /<column>",
            "examples": ["/user/name"]
          }
        }
      },
      "description": "Target columns in order (at least one): column -> type, or a table with a pointer",
      "examples": [{"id": "INTEGER", "user": {"pointer": "/user/name"}, "ts": {"pointer": "/ts", "type": "TIMESTAMP"}}]
    },
    )json" JOBHOST_SCHEMA_LOAD_MODE("lines") R"json(
  },
  "required": ["path", "database", "table", "columns"]
})json";

inline constexpr const char* kJsonlOutputs =
    JOBHOST_SCHEMA_LOAD_OUTPUTS("Non-blank lines read", "lines");

inline constexpr const char* kJsonlDoc =
    "Loads JSON Lines files (one object per line) into a SQLite table; each column is read through\n"
    "a JSON pointer (default `/<column>`). A missing member or `null` loads as NULL; a TEXT column\n"
    "receives non-string values as JSON text. Invalid JSON and non-object lines are bad rows.\n"
    "Same transaction, modes, quarantine and `max_bad_rows` as `ingestion.csv`.\n"
    "Metrics: `rows_read`, `rows_loaded`, `rows_rejected`, `rows_replaced`.\n";

}  // namespace jobhost::ingestion
