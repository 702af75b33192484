// The slice of the SQLite C API the ML jobs need, with RAII and errors that name the
// database and statement. SQLITE_BUSY/LOCKED become RetryableError (another attempt may find
// the lock free); every other failure is a FatalError.
#pragma once

#include <sqlite3.h>

#include <jobhost/sdk.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jobhost::ml {

// "name" with embedded quotes doubled: safe for any table or column name from config.
std::string quote_ident(std::string_view name);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql, std::string what);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // true while a row is available. Throws on error.
  bool step();
  sqlite3_stmt* raw() const { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string what_;
};

struct ColumnInfo {
  std::string name;
  std::string declared_type;
};

class Database {
 public:
  enum class Mode { kReadOnly, kReadWrite };
  // Never creates the file: a missing database is a configuration mistake.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql, std::string_view what);
  // Columns of `table` in declaration order; FatalError naming the table when it is absent.
  std::vector<ColumnInfo> columns(std::string_view table);
  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what);

// BEGIN IMMEDIATE now; ROLLBACK at scope exit unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace jobhost::ml
