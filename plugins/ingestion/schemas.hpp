// What the ingestion job types declare to an ABI 1.1 host: the accepted [jobs.config] table
// and the published outputs as JSON Schema (the subset of docs/sdk.md), and a short doc.
//
// Both jobs also check their keys at run time (for 1.0 hosts): the load options database ...
// max_bad_rows are kLoadOptionKeys (table_loader.cpp), the column keys are read_column_specs
// (column_spec.cpp). A key added there must be added to both schemas below.
//
// Column types are matched case-insensitively at run time; the enums list the upper- and
// lower-case spellings. The short form `col = "REAL"` shares its schema with the table form,
// so its value is checked when the job runs.
// The raw strings are delimited R"json(...)json" because descriptions contain `)"`.
#pragma once

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
    "database": {
      "type": "string",
      "minLength": 1,
      "description": "SQLite database file; created with its parent folders when absent",
      "examples": ["{{ params.warehouse }}"]
    },
    "table": {
      "type": "string",
      "minLength": 1,
      "description": "Target table"
    },
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
          "type": {
            "type": "string",
            "enum": ["TEXT", "INTEGER", "REAL", "DATE", "TIMESTAMP",
                     "text", "integer", "real", "date", "timestamp"],
            "default": "TEXT",
            "description": "Column type; DATE and TIMESTAMP are stored as ISO-8601 text"
          },
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
    "mode": {
      "type": "string",
      "enum": ["replace", "append", "replace_partition"],
      "default": "replace",
      "description": "replace the table, append to it, or replace the rows of one partition"
    },
    "partition_column": {
      "type": "string",
      "minLength": 1,
      "description": "replace_partition only (required there): column holding partition_value",
      "examples": ["ds"]
    },
    "partition_value": {
      "type": "string",
      "description": "replace_partition only (required there): the partition this load replaces",
      "examples": ["{{ run.logical_date }}"]
    },
    "quarantine_table": {
      "type": "string",
      "description": "Table that receives bad rows instead of failing the job; must differ from table"
    },
    "max_bad_rows": {
      "type": "integer",
      "minimum": 0,
      "description": "Bad rows tolerated; default unlimited with a quarantine table, else 0"
    }
  },
  "required": ["path", "database", "table"]
})json";

inline constexpr const char* kCsvOutputs = R"json({
  "type": "object",
  "properties": {
    "rows_read": {"type": "integer", "description": "Records read (after the header)"},
    "rows_loaded": {"type": "integer", "description": "Rows written to the table"},
    "rows_rejected": {"type": "integer", "description": "Bad rows (quarantined or tolerated)"},
    "table": {"type": "string", "description": "The target table"}
  },
  "additionalProperties": false
})json";

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
    "database": {
      "type": "string",
      "minLength": 1,
      "description": "SQLite database file; created with its parent folders when absent",
      "examples": ["{{ params.warehouse }}"]
    },
    "table": {
      "type": "string",
      "minLength": 1,
      "description": "Target table"
    },
    "columns": {
      "type": "object",
      "additionalProperties": {
        "type": ["string", "object"],
        "description": "A type (TEXT, INTEGER, REAL, DATE, TIMESTAMP) or { type, date_format, pointer }",
        "properties": {
          "type": {
            "type": "string",
            "enum": ["TEXT", "INTEGER", "REAL", "DATE", "TIMESTAMP",
                     "text", "integer", "real", "date", "timestamp"],
            "default": "TEXT",
            "description": "Column type; DATE and TIMESTAMP are stored as ISO-8601 text"
          },
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
    "mode": {
      "type": "string",
      "enum": ["replace", "append", "replace_partition"],
      "default": "replace",
      "description": "replace the table, append to it, or replace the rows of one partition"
    },
    "partition_column": {
      "type": "string",
      "minLength": 1,
      "description": "replace_partition only (required there): column holding partition_value",
      "examples": ["ds"]
    },
    "partition_value": {
      "type": "string",
      "description": "replace_partition only (required there): the partition this load replaces",
      "examples": ["{{ run.logical_date }}"]
    },
    "quarantine_table": {
      "type": "string",
      "description": "Table that receives bad lines instead of failing the job; must differ from table"
    },
    "max_bad_rows": {
      "type": "integer",
      "minimum": 0,
      "description": "Bad lines tolerated; default unlimited with a quarantine table, else 0"
    }
  },
  "required": ["path", "database", "table", "columns"]
})json";

inline constexpr const char* kJsonlOutputs = R"json({
  "type": "object",
  "properties": {
    "rows_read": {"type": "integer", "description": "Non-blank lines read"},
    "rows_loaded": {"type": "integer", "description": "Rows written to the table"},
    "rows_rejected": {"type": "integer", "description": "Bad lines (quarantined or tolerated)"},
    "table": {"type": "string", "description": "The target table"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kJsonlDoc =
    "Loads JSON Lines files (one object per line) into a SQLite table; each column is read through\n"
    "a JSON pointer (default `/<column>`). A missing member or `null` loads as NULL; a TEXT column\n"
    "receives non-string values as JSON text. Invalid JSON and non-object lines are bad rows.\n"
    "Same transaction, modes, quarantine and `max_bad_rows` as `ingestion.csv`.\n"
    "Metrics: `rows_read`, `rows_loaded`, `rows_rejected`, `rows_replaced`.\n";

}  // namespace jobhost::ingestion
