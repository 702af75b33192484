// Test helpers for the data plugins: write input files, read back warehouse tables.
#pragma once

#include <sqlite3.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

namespace jobhost::test {

// Rows of a query, each value as text ("NULL" for NULL); throws on SQL errors.
inline std::vector<std::vector<std::string>> query(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_path);
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error(msg + " in: " + sql);
  }
  std::vector<std::vector<std::string>> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
      row.push_back(sqlite3_column_type(st, i) == SQLITE_NULL ? "NULL" : std::string(t));
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

// The single value of a one-row, one-column query.
inline std::string scalar(const std::string& db_path, const std::string& sql) {
  auto rows = query(db_path, sql);
  if (rows.size() != 1 || rows[0].size() != 1) throw std::runtime_error("not a scalar: " + sql);
  return rows[0][0];
}

inline void exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(msg);
}

}  // namespace jobhost::test
