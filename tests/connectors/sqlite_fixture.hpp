// SQLite helpers for the ml/utilities plugin tests, on top of the data-plugin test helpers.
#pragma once

#include <string>

#include "plugins/warehouse.hpp"

namespace jobhost::test {

inline void sql_exec(const std::string& db_path, const std::string& sql) { exec(db_path, sql); }

// The first column of the first row as text; "NULL" for SQL NULL, "" when there is no row.
inline std::string sql_value(const std::string& db_path, const std::string& sql) {
  auto rows = query(db_path, sql);
  return rows.empty() || rows[0].empty() ? std::string() : rows[0][0];
}

}  // namespace jobhost::test
