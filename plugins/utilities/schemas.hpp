// What the utilities job types declare to an ABI 1.1 host: the accepted [jobs.config] table
// and the published outputs as JSON Schema (the subset of docs/sdk.md), and a short doc.
//
// The schemas describe exactly what the job code reads. file_sensor, http and retention also
// check their keys at run time (common::reject_unknown_keys, for 1.0 hosts): a key added to a
// job must be added to its allow-list and to its schema together.
// The raw strings are delimited R"json(...)json" because descriptions contain `)"`; a
// JOBHOST_SCHEMA_* fragment is spliced in by closing the raw string before it and reopening it
// after it.
#pragma once

#include "jobhost_common/schema_fragments.hpp"

namespace jobhost::utilities {

// ---- noop ----

inline constexpr const char* kNoopSchema = R"json({
  "type": "object",
  "description": "No config.",
  "properties": {},
  "additionalProperties": false
})json";

inline constexpr const char* kNoopOutputs = R"json({
  "type": "object",
  "properties": {},
  "additionalProperties": false
})json";

inline constexpr const char* kNoopDoc =
    "Does nothing and succeeds. Use it as a join point between groups of jobs (like Airflow's\n"
    "`EmptyOperator`), e.g. with `trigger = \"all_done\"` after a fan-out. It takes no config.\n";

// ---- shell ----

inline constexpr const char* kShellSchema = R"json({
  "type": "object",
  "properties": {
    "command": {
      "type": "string",
      "description": "Command line run by /bin/sh -c (templates are expanded first)",
      "examples": ["python3 etl.py --date {{ run.logical_date }}"]
    },
    "argv": {
      "type": ["string", "array"],
      "items": {"type": "string"},
      "minItems": 1,
      "description": "Program and arguments, run without a shell; instead of command",
      "examples": [["python3", "etl.py"]]
    },
    "env": {
      "type": "object",
      "additionalProperties": {"type": ["string", "integer", "boolean"]},
      "description": "Variables added to (or overriding) the host's environment",
      "examples": [{"MODE": "full"}]
    },
    "cwd": {
      "type": "string",
      "description": "Working directory of the command; default: the host's"
    },
    "retry_exit_codes": {
      "type": "array",
      "items": {"type": "integer", "minimum": 0, "maximum": 255},
      "description": "When set, only these non-zero exit codes are retryable; others are fatal",
      "examples": [[75]]
    },
    "fatal_exit_codes": {
      "type": "array",
      "items": {"type": "integer", "minimum": 0, "maximum": 255},
      "description": "Exit codes that are never retried",
      "examples": [[2]]
    },
    "kill_grace_ms": {
      "type": "integer",
      "minimum": 0,
      "default": 2000,
      "description": "On cancellation: milliseconds between SIGTERM and SIGKILL to the process group"
    }
  },
  "oneOf": [{"required": ["command"]}, {"required": ["argv"]}]
})json";

inline constexpr const char* kShellOutputs = R"json({
  "type": "object",
  "properties": {},
  "additionalProperties": false
})json";

inline constexpr const char* kShellDoc =
    "Runs a command in its own process group: `command` through `/bin/sh -c`, or `argv` without a\n"
    "shell (exactly one of them). Its stdout goes to the job log at info level, stderr at warn.\n"
    "Exit code 0 succeeds; another code is retryable unless it is in `fatal_exit_codes`, or\n"
    "`retry_exit_codes` is set and does not list it. A program that cannot be executed is fatal.\n"
    "On cancellation the group gets SIGTERM, then SIGKILL after `kill_grace_ms`. Metric: `exit_code`.\n"
    "The outputs of its direct upstream jobs are in its environment as\n"
    "`JOBHOST_INPUT_<JOB>_<KEY>` (upper-cased; characters other than letters and digits as `_`);\n"
    "`env` overrides them.\n";

// ---- file_sensor ----

inline constexpr const char* kFileSensorSchema = R"json({
  "type": "object",
  "properties": {
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "A file path or a glob(3) pattern to wait for",
      "examples": ["/data/incoming/{{ run.logical_date }}/*.csv"]
    },
    "poke_interval": {
      "type": ["string", "number"],
      "format": "duration",
      "minimum": 0,
      "default": "5s",
      "description": "Time between checks (more than 0): \"250ms\", \"5s\", \"1.5m\", \"1h\" or seconds"
    },
    "timeout": {
      "type": ["string", "number"],
      "format": "duration",
      "minimum": 0,
      "default": "1h",
      "description": "How long to wait from the start of the attempt before giving up"
    },
    "min_count": {
      "type": "integer",
      "minimum": 1,
      "default": 1,
      "description": "Matches needed for success"
    },
    "soft_fail": {
      "type": "boolean",
      "default": false,
      "description": "On timeout end as skipped instead of failing (retryable)"
    }
  },
  "required": ["path"]
})json";

inline constexpr const char* kFileSensorOutputs = R"json({
  "type": "object",
  "properties": {
    "matched_count": {"type": "integer", "description": "Number of files that matched"},
    "first_path": {"type": "string", "description": "The first match in sorted order"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kFileSensorDoc =
    "Waits until `path` (a file or a glob) matches at least `min_count` files. It checks at once,\n"
    "then every `poke_interval`, until `timeout` has passed since the attempt started, and notices\n"
    "cancellation within 100 ms. On timeout the attempt fails as retryable, or with\n"
    "`soft_fail = true` ends as skipped. Metrics: `matched_count`, `waited_seconds`.\n";

// ---- http ----

inline constexpr const char* kHttpSchema = R"json({
  "type": "object",
  "properties": {
    "url": {
      "type": "string",
      "minLength": 1,
      "description": "http:// or https:// URL to request",
      "examples": ["https://api.example.com/v1/refresh"]
    },
    "method": {
      "type": "string",
      "minLength": 1,
      "default": "GET",
      "description": "HTTP method, any case (sent upper-cased)",
      "examples": ["POST"]
    },
    "headers": {
      "type": "object",
      "additionalProperties": {"type": "string"},
      "description": "Request headers; a value \"secret:NAME\" or \"env:VAR\" is read from there",
      "examples": [{"Authorization": "secret:API_TOKEN", "Accept": "application/json"}]
    },
    "body": {
      "type": "string",
      "description": "Request body; at most one of body and body_file"
    },
    "body_file": {
      "type": "string",
      "description": "File whose contents are the request body; at most one of body and body_file"
    },
    "expected_status": {
      "type": ["integer", "array"],
      "items": {"type": "integer", "minimum": 100, "maximum": 599},
      "minItems": 1,
      "minimum": 100,
      "maximum": 599,
      "description": "Status code(s) that mean success; default: any 2xx",
      "examples": [[200, 202]]
    },
    "output_file": {
      "type": "string",
      "description": "File the response body is written to, atomically, on success"
    },
    "timeout": {
      "type": ["string", "number"],
      "format": "duration",
      "minimum": 0,
      "default": "30s",
      "description": "Limit for the whole exchange: connect, TLS, send and receive"
    },
    "insecure_skip_verify": {
      "type": "boolean",
      "default": false,
      "description": "Do not verify the server's TLS certificate (test servers only)"
    }
  },
  "required": ["url"]
})json";

inline constexpr const char* kHttpOutputs = R"json({
  "type": "object",
  "properties": {
    "status_code": {"type": "integer", "description": "The response's HTTP status"},
    "output_file": {"type": "string", "description": "Where the body was written (when output_file is set)"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kHttpDoc =
    "Sends one HTTP or HTTPS request and checks the status against `expected_status` (any 2xx by\n"
    "default). Header values come from the secret store (`\"secret:NAME\"`) or the environment\n"
    "(`\"env:VAR\"`); a literal credential header is refused, and header values are never logged.\n"
    "5xx, 408, 429 and connection failures are retryable; other unexpected statuses are fatal.\n"
    "Redirects are not followed. Metrics: `status_code`, `response_bytes`, `duration_ms`.\n";

// ---- retention ----

inline constexpr const char* kRetentionSchema = R"json({
  "type": "object",
  "properties": {
    )json" JOBHOST_SCHEMA_DATABASE("SQLite database file; it must exist") R"json(,
    "table": {
      "type": "string",
      "minLength": 1,
      "description": "Date-partitioned table to trim"
    },
    "partition_column": {
      "type": "string",
      "minLength": 1,
      "description": "Column holding ISO dates (YYYY-MM-DD, optionally followed by a time)"
    },
    "keep_days": {
      "type": "integer",
      "minimum": 0,
      "description": "Rows dated before the logical date minus this many days are deleted"
    },
    "vacuum": {
      "type": "boolean",
      "default": true,
      "description": "VACUUM after the delete when rows were deleted"
    }
  },
  "required": ["database", "table", "partition_column", "keep_days"]
})json";

inline constexpr const char* kRetentionOutputs = R"json({
  "type": "object",
  "properties": {
    "rows_deleted": {"type": "integer", "description": "Rows deleted"},
    "cutoff_date": {"type": "string", "description": "Rows dated before this day (YYYY-MM-DD) were deleted"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kRetentionDoc =
    "Deletes the rows of a date-partitioned table whose `partition_column` is before the run's\n"
    "logical date minus `keep_days`, in one transaction, then VACUUMs. NULL partitions are kept;\n"
    "a rerun for the same date deletes nothing more. A non-ISO-date partition value, an unknown\n"
    "table or column, or a missing database is fatal and deletes nothing. Metric: `rows_deleted`.\n";

}  // namespace jobhost::utilities
