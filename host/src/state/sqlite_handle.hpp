// Thin RAII over the SQLite C API: a connection, a prepared statement, a transaction.
// Every failure becomes a StoreError whose message names the database file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <memory>
#include <unordered_map>

#include "state/run_store.hpp"

namespace jobhost::state::sql {

// One connection. Not thread-safe by contract: one thread uses it at a time.
class Db {
 public:
  Db() = default;
  // Opens (creating when missing) `path`. Throws StoreError when SQLite cannot open it.
  explicit Db(const std::string& path);
  ~Db();
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more statements that return no rows.
  void exec(const std::string& sql);
  // Throws StoreError "state store PATH: WHAT: <sqlite message>".
  [[noreturn]] void fail(const std::string& what) const;

  // From now on, a Stmt on this connection reuses an idle prepared statement of the same SQL
  // text, and gives it back (reset, bindings cleared) when destroyed, instead of preparing
  // and finalizing it each time. For read paths that run the same few queries many times.
  void cache_statements();

 private:
  friend class Stmt;
  using StmtCache = std::unordered_map<std::string, sqlite3_stmt*>;
  void drop_cache();
  sqlite3* db_ = nullptr;
  std::string path_;
  std::unique_ptr<StmtCache> cache_;  // idle statements by SQL text; null: no caching
};

// Before SQLite is first used: no global memory statistics (each allocation would otherwise
// take one process-wide mutex, which the HTTP threads of `jobhost serve` contend for).
// Returns false when SQLite was already initialized (then nothing changes).
bool disable_memory_statistics();

// A prepared statement; bind parameters are 1-based, columns 0-based.
class Stmt {
 public:
  Stmt(const Db& db, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int index, const std::string& value);
  Stmt& bind(int index, int64_t value);
  Stmt& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Stmt& bind(int index, double value);
  Stmt& bind_null(int index);
  // Binds text without copying it: `value` must stay alive and unchanged until the
  // statement is reset (run() or reset()). For hot paths that bind from long-lived buffers.
  Stmt& bind_ref(int index, std::string_view value);

  // Advances: true when a row is available, false when done. Throws StoreError.
  bool step();
  // Steps to completion and resets for reuse (for INSERT/UPDATE/DELETE).
  void run();
  // Resets and clears bindings so the statement can be reused.
  void reset();

  int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const;
  // The column's text without a copy: valid until the next step() or reset().
  std::string_view text_view(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return {p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  const Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string cache_key_;  // the SQL text when the connection caches statements
};

// BEGIN IMMEDIATE on construction; rolls back in the destructor unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool open_ = true;
};

}  // namespace jobhost::state::sql
