// Typed target columns, read from a job's `columns` config table.
#pragma once

#include <jobhost/sdk.hpp>

#include <string>
#include <vector>

namespace jobhost::ingestion {

enum class ValueType { text, integer, real, date, timestamp };

// "TEXT", "INTEGER", ... as written in config and errors.
const char* type_name(ValueType t);
// The SQL type the target column is declared with (dates are ISO-8601 TEXT).
const char* sql_type(ValueType t);

struct ColumnSpec {
  std::string name;
  ValueType type = ValueType::text;
  std::string date_format;  // strftime-style input format for DATE/TIMESTAMP; empty = ISO-8601
  std::string pointer;      // JSON pointer (ingestion.jsonl only)
};

// Reads `columns` in file order. Each value is either a type string ("REAL") or a table
// { type = "DATE", date_format = "%Y/%m/%d" } (plus `pointer` when `with_pointer`). Unknown
// keys, types and misplaced date_format are FatalErrors naming the key.
std::vector<ColumnSpec> read_column_specs(const Context& ctx, bool with_pointer);

}  // namespace jobhost::ingestion
