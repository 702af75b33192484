// What the ml job types declare to an ABI 1.1 host: the accepted [jobs.config] table and the
// published outputs as JSON Schema (the subset of docs/sdk.md), and a short doc.
//
// Both jobs also check their keys at run time (common::reject_unknown_keys, for 1.0 hosts): a
// key added to a job must be added to its allow-list and to its schema together.
// The raw strings are delimited R"json(...)json" because descriptions contain `)"`; a
// JOBHOST_SCHEMA_* fragment is spliced in by closing the raw string before it and reopening it
// after it.
#pragma once

#include "jobhost_common/schema_fragments.hpp"

namespace jobhost::ml {

// ---- linear_regression ----

inline constexpr const char* kLinearRegressionSchema = R"json({
  "type": "object",
  "properties": {
    )json" JOBHOST_SCHEMA_DATABASE(
        "SQLite database file; never created (a missing file is fatal)") R"json(,
    "table": {
      "type": "string",
      "minLength": 1,
      "description": "Source table or view of the training rows"
    },
    "features": {
      "type": ["string", "array"],
      "items": {"type": "string"},
      "minItems": 1,
      "description": "Feature column(s); must not include target",
      "examples": [["temp_min", "precipitation", "wind"]]
    },
    "target": {
      "type": "string",
      "minLength": 1,
      "description": "Column to predict"
    },
    "model_path": {
      "type": "string",
      "minLength": 1,
      "description": "Where the model JSON is written (atomically; parent folders are created)",
      "examples": [".jobhost/models/temp_max.json"]
    },
    "test_fraction": {
      "type": "number",
      "minimum": 0,
      "maximum": 1,
      "default": 0.2,
      "description": "Share of rows held out for the test metrics, strictly between 0 and 1"
    },
    "seed": {
      "type": "integer",
      "default": 42,
      "description": "Shuffle seed: the split depends only on the rows and the seed"
    },
    )json" JOBHOST_SCHEMA_WHERE("SQL filter on the table's rows", "date >= '2013-01-01'") R"json(
  },
  "required": ["database", "table", "features", "target", "model_path"]
})json";

inline constexpr const char* kLinearRegressionOutputs = R"json({
  "type": "object",
  "properties": {
    "model_path": {"type": "string", "description": "The model file written"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kLinearRegressionDoc =
    "Fits ordinary least squares with an intercept, `target ~ features`, on the rows of a table\n"
    "(rows with a NULL in a used column are skipped), evaluates it on a held-out split chosen by\n"
    "`seed` and writes a JSON model file atomically. Collinear or constant features are a fatal\n"
    "\"singular design\" error. Metrics: `r2`, `rmse` (test split), `train_r2`, `train_rmse`,\n"
    "`rows_train`, `rows_test`, `rows_skipped_null`.\n";

// ---- predict ----

inline constexpr const char* kPredictSchema = R"json({
  "type": "object",
  "properties": {
    )json" JOBHOST_SCHEMA_DATABASE("SQLite database file; it must exist") R"json(,
    "table": {
      "type": "string",
      "minLength": 1,
      "description": "Table whose rows are scored; it must have the model's features"
    },
    "model_path": {
      "type": "string",
      "minLength": 1,
      "description": "Model file written by ml.linear_regression",
      "examples": [".jobhost/models/temp_max.json"]
    },
    "target_table": {
      "type": "string",
      "minLength": 1,
      "description": "Predictions table, replaced atomically; must differ from table"
    },
    "id_columns": {
      "type": ["string", "array"],
      "items": {"type": "string"},
      "description": "Column(s) of table copied into the predictions table with their types",
      "examples": [["date"]]
    },
    "prediction_column": {
      "type": "string",
      "minLength": 1,
      "default": "prediction",
      "description": "Name of the REAL prediction column; must not be an id column"
    },
    )json" JOBHOST_SCHEMA_WHERE("SQL filter on the rows to score", "date >= '2015-01-01'") R"json(
  },
  "required": ["database", "table", "model_path", "target_table"]
})json";

inline constexpr const char* kPredictOutputs = R"json({
  "type": "object",
  "properties": {
    "target_table": {"type": "string", "description": "The predictions table"},
    "rows_scored": {"type": "integer", "description": "Rows that got a prediction"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kPredictDoc =
    "Applies a model file to every row of a table and replaces `target_table` atomically with the\n"
    "`id_columns` and a REAL `prediction_column`. A row with a NULL feature keeps its ids and gets\n"
    "a NULL prediction. A model whose features the table lacks, of an unknown kind, missing or\n"
    "malformed, is fatal. Metrics: `rows_scored`, `rows_unscored`.\n";

}  // namespace jobhost::ml
