// JSON Schema fragments that several bundled plugins declare in the same words, as string-literal
// macros: adjacent string literals concatenate at compile time, so a schema spliced together from
// them is still one `const char*` with static lifetime, as jh_job_type requires. A fragment is
// one property (`"name": {...}`) without a trailing comma; the schema around it adds the commas.
// DESC and EXAMPLE take plain string literals that need no JSON escaping (no `"` or `\`);
// EXAMPLE_JSON takes the JSON text of an example value. A fragment cannot span lines inside one
// raw string in a #define, so each is a run of one-line raw strings.
#pragma once

// "database": the SQLite file a job opens; DESC says what happens when the file is absent.
#define JOBHOST_SCHEMA_DATABASE(DESC)                          \
  R"json("database": {"type": "string", "minLength": 1, )json" \
  R"json("description": ")json" DESC R"json(", )json"          \
  R"json("examples": ["{{ params.warehouse }}"]})json"

// "database" of a job that opens it with sql::Database::OpenMode::kCreate (sqlite.hpp).
#define JOBHOST_SCHEMA_DATABASE_CREATED \
  JOBHOST_SCHEMA_DATABASE("SQLite database file; created with its parent folders when absent")

// "column_types": declared types of materialised columns, as read_column_types (materialize.cpp)
// accepts them, case-insensitively; DESC is followed by the list of types.
#define JOBHOST_SCHEMA_COLUMN_TYPES(DESC, EXAMPLE_JSON)                                    \
  R"json("column_types": {"type": "object", )json"                                         \
  R"json("additionalProperties": {"type": "string", )json"                                 \
  R"json("enum": ["TEXT", "INTEGER", "REAL", "NUMERIC", "BLOB", )json"                     \
  R"json("text", "integer", "real", "numeric", "blob"]}, )json"                            \
  R"json("description": ")json" DESC R"json( (TEXT, INTEGER, REAL, NUMERIC, BLOB)", )json" \
  R"json("examples": [)json" EXAMPLE_JSON R"json(]})json"

// "where": an optional SQL filter on the rows a job reads; DESC says which rows.
#define JOBHOST_SCHEMA_WHERE(DESC, EXAMPLE)           \
  R"json("where": {"type": "string", )json"           \
  R"json("description": ")json" DESC R"json(", )json" \
  R"json("examples": [")json" EXAMPLE R"json("]})json"
