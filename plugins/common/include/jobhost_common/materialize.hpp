// Atomic materialisation of a query into a table: the query fills a staging table, then the
// old target is dropped and the staging table renamed, all inside the caller's transaction.
// A failing query therefore leaves the previous target untouched, and readers never see a
// half-built table.
#pragma once

#include <jobhost/sdk.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "jobhost_common/sqlite.hpp"

namespace jobhost::common {

struct ColumnType {
  std::string column;
  std::string type;  // TEXT, INTEGER, REAL, NUMERIC or BLOB
};

// Reads the optional `key` table (column -> SQL type) that fixes the target's declared column
// types; FatalError naming the key for a type outside TEXT|INTEGER|REAL|NUMERIC|BLOB.
std::vector<ColumnType> read_column_types(const Context& ctx, std::string_view key);

// Replaces table `target` with the rows of `query` (one prepared read-only statement that
// returns columns; it is re-run as INSERT ... <its SQL>). Columns keep the query's names;
// their declared type is the `types` entry, else the source column's declared type, else none
// (as CREATE TABLE AS would). Must run inside a sql::Transaction. Returns the row count.
// Throws FatalError for duplicate or unnamed result columns and for a `types` entry that names
// no result column.
int64_t materialize(sql::Database& db, std::string_view target, sql::Statement& query,
                    const std::vector<ColumnType>& types);

// Drops `target` and renames `staging` to it; inside the caller's transaction.
void swap_in(sql::Database& db, std::string_view staging, std::string_view target);

// The staging table's name for `target`.
std::string staging_name(std::string_view target);

}  // namespace jobhost::common
