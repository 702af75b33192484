// What the aggregation job types declare to an ABI 1.1 host: the accepted [jobs.config] table
// and the published outputs as JSON Schema (the subset of docs/sdk.md), and a short doc.
//
// Both jobs also check their keys at run time (for 1.0 hosts): sql in common::run_sql_job
// (shared with processing.sql, whose schema has the same keys with `target` optional; the
// fragments both declare alike are in jobhost_common/sql_job_schema.hpp), rollup in
// rollup_job.cpp. A key added there must be added here too.
// The raw strings are delimited R"json(...)json" because descriptions contain `)"`; a
// JOBHOST_SCHEMA_* fragment is spliced in by closing the raw string before it and reopening it
// after it.
#pragma once

#include "jobhost_common/schema_fragments.hpp"
#include "jobhost_common/sql_job_schema.hpp"

namespace jobhost::aggregation {

// ---- sql ----

inline constexpr const char* kSqlSchema = R"json({
  "type": "object",
  "properties": {
    )json" JOBHOST_SCHEMA_DATABASE_CREATED R"json(,
    "sql": {
      "type": "string",
      "minLength": 1,
      "description": "SQL statements separated by ';'; the last one returns the target's rows"
    },
    )json" JOBHOST_SCHEMA_SQL_FILE("sql/gold_weather_monthly.sql") R"json(,
    "target": {
      "type": "string",
      "minLength": 1,
      "description": "Table the last statement's rows replace atomically"
    },
    )json" JOBHOST_SCHEMA_COLUMN_TYPES("Declared types of result columns",
                                       R"json({"month": "TEXT", "days": "INTEGER"})json") R"json(
  },
  "required": ["database", "target"],
  )json" JOBHOST_SCHEMA_SQL_ONE_OF R"json(
})json";

inline constexpr const char* kSqlOutputs = R"json({
  "type": "object",
  "properties": {
    "rows": {"type": "integer", "description": "Rows now in the target"},
    "target": {"type": "string", "description": "The target table"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kSqlDoc =
    "Materialises a query into `target` atomically: the statements of `sql` (or `sql_file`, with\n"
    "its `{{ ... }}` templates expanded) run in one transaction, and the last one's rows fill a\n"
    "staging table that replaces the target. A failing query leaves the previous target intact;\n"
    "readers never see a half-built table. `column_types` fixes declared column types.\n"
    "Metrics: `rows`, `statements`.\n";

// ---- rollup ----

inline constexpr const char* kRollupSchema = R"json({
  "type": "object",
  "properties": {
    )json" JOBHOST_SCHEMA_DATABASE("SQLite database file") R"json(,
    "source": {
      "type": "string",
      "minLength": 1,
      "description": "Table or view to aggregate; it must exist"
    },
    "target": {
      "type": "string",
      "minLength": 1,
      "description": "Table the rollup replaces atomically; must differ from source"
    },
    "group_by": {
      "type": "array",
      "items": {
        "type": ["string", "object"],
        "minLength": 1,
        "properties": {
          "name": {"type": "string", "minLength": 1, "description": "Output column name"},
          "expr": {"type": "string", "minLength": 1, "description": "SQL expression to group by"}
        },
        "required": ["name", "expr"],
        "description": "A column name, or { name, expr } for a computed dimension"
      },
      "description": "Dimensions, in order; empty: one total row",
      "examples": [["city", {"name": "month", "expr": "substr(date, 1, 7)"}]]
    },
    "measures": {
      "type": "object",
      "additionalProperties": {"type": "string", "minLength": 1},
      "description": "Output column -> SQL aggregate expression (at least one), in file order",
      "examples": [{"days": "count(*)", "avg_temp_max": "avg(temp_max)"}]
    },
    )json" JOBHOST_SCHEMA_WHERE("SQL filter applied before grouping", "date >= '2013-01-01'") R"json(,
    )json" JOBHOST_SCHEMA_COLUMN_TYPES("Declared types of output columns",
                                       R"json({"month": "TEXT", "days": "INTEGER"})json") R"json(
  },
  "required": ["database", "source", "target", "group_by", "measures"]
})json";

// The outputs of aggregation.sql: both jobs replace `target` atomically.
inline constexpr const char* kRollupOutputs = kSqlOutputs;

inline constexpr const char* kRollupDoc =
    "Declarative GROUP BY: builds `SELECT <group_by>, <measures> FROM <source> [WHERE <where>]\n"
    "GROUP BY <group_by> ORDER BY <group_by>` and materialises it into `target` atomically, like\n"
    "`aggregation.sql`. `group_by` entries are column names or `{ name, expr }` tables; an empty\n"
    "list gives one total row. Metric: `rows`.\n";

}  // namespace jobhost::aggregation
