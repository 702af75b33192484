// JSON Schema fragments of the two jobs run_sql_job (sql_job.hpp) serves, processing.sql and
// aggregation.sql, for their schemas.hpp. Only what both declare in the same words is here:
// `target` is required in aggregation.sql and optional in processing.sql, so the descriptions
// of `sql`, `target`, `column_types` and the outputs, and the required lists, stay in each plugin.
#pragma once

#include "jobhost_common/schema_fragments.hpp"

// "sql_file": the SQL read from a file instead of `sql`; EXAMPLE is a path.
#define JOBHOST_SCHEMA_SQL_FILE(EXAMPLE)                             \
  R"json("sql_file": {"type": "string", "minLength": 1, )json"       \
  R"json("description": "File holding the SQL instead of sql; )json" \
  R"json({{ ... }} templates in it are expanded", )json"             \
  R"json("examples": [")json" EXAMPLE R"json("]})json"

// Exactly one of `sql` and `sql_file`, as run_sql_job checks.
#define JOBHOST_SCHEMA_SQL_ONE_OF \
  R"json("oneOf": [{"required": ["sql"]}, {"required": ["sql_file"]}])json"
