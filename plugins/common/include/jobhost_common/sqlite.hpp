// A thin RAII layer over the SQLite C API for plugins.
//
// Every failure throws: SqlError (a jobhost::FatalError: bad SQL, constraint, I/O) or
// SqlBusyError (a jobhost::RetryableError: the database stayed locked past the busy timeout,
// which another attempt may not meet). Messages carry SQLite's own text and say which
// statement failed, so a user can find it in their SQL.
#pragma once

#include <sqlite3.h>

#include <jobhost/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobhost::sql {

class SqlError : public FatalError {
 public:
  using FatalError::FatalError;
};

class SqlBusyError : public RetryableError {
 public:
  using RetryableError::RetryableError;
};

// Throws SqlError/SqlBusyError: "<what>: <sqlite message>".
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what);

// A short, one-line form of a statement for error messages.
std::string abbreviate_sql(std::string_view sql, size_t max_chars = 160);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string what) : db_(db), stmt_(stmt), what_(std::move(what)) {}
  Statement(Statement&& o) noexcept { *this = std::move(o); }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based. Text is NOT copied (SQLITE_STATIC): it must stay valid until the
  // next step() or reset().
  void bind_null(int i);
  void bind_int(int i, int64_t v);
  void bind_double(int i, double v);
  void bind_text(int i, std::string_view v);
  // Copies the text (SQLITE_TRANSIENT).
  void bind_text_copy(int i, std::string_view v);

  // true while a row is available; false when done. Throws on error.
  bool step();
  // Runs to completion, discarding rows.
  void run();
  // Ready to run again; bindings are kept.
  void reset();

  int column_count() const { return sqlite3_column_count(stmt_); }
  std::string column_name(int i) const;
  // The declared type of a result column that is a plain table column; empty otherwise.
  std::string column_decltype(int i) const;
  bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int64_t get_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double get_double(int i) const { return sqlite3_column_double(stmt_, i); }
  std::string get_text(int i) const;
  // The value rendered for logs: NULL, numbers, quoted text.
  std::string render(int i) const;
  bool read_only() const { return sqlite3_stmt_readonly(stmt_) != 0; }
  std::string sql() const { return sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : ""; }
  sqlite3_stmt* raw() const { return stmt_; }
  const std::string& what() const { return what_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string what_;
};

struct ColumnInfo {
  std::string name;
  std::string declared_type;  // as written in CREATE TABLE; empty when none
};

class Database {
 public:
  enum class OpenMode {
    kCreate,    // read-write; the file (and its parent folders) is created when absent
    kExisting,  // read-write; a missing file is an error (a job that only reads or trims)
    kReadOnly,  // read-only; a missing file is an error
  };
  // Opens the database file at `path`; "cannot open database '<path>': <why>" (FatalError)
  // when it cannot. A busy timeout of 30 s lets concurrent jobs on one warehouse queue up.
  explicit Database(const std::string& path, OpenMode mode = OpenMode::kCreate);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs every statement in `sql`; `what` names it in errors.
  void exec(std::string_view sql, std::string_view what);
  // One statement; `what` names it in errors (the SQL text is appended).
  Statement prepare(std::string_view sql, std::string_view what);
  // Splits `sql` into statements, preparing each lazily: call next() until it returns false.
  // Comments and whitespace between statements are skipped.
  class Script {
   public:
    Script(Database& db, std::string sql, std::string what) : db_(db), sql_(std::move(sql)), what_(std::move(what)) {}
    // The next statement, or nullopt at the end. Statement i (1-based) is named
    // "<what>, statement i" in errors.
    std::optional<Statement> next();
    int index() const { return index_; }
    // True when only whitespace, comments and semicolons are left: the statement last
    // returned by next() is the final one. (The next statement cannot be prepared early: it
    // may use a table the current one creates.)
    bool done() const;

   private:
    Database& db_;
    std::string sql_;
    std::string what_;
    size_t offset_ = 0;
    int index_ = 0;
  };

  bool table_exists(std::string_view name);
  // Column names of a table in declaration order; empty when there is no such table.
  std::vector<std::string> columns(std::string_view table);
  // Names and declared types of a table's columns in declaration order; empty when there is
  // no such table.
  std::vector<ColumnInfo> column_info(std::string_view table);
  // column_info() of a table that must exist: FatalError "table '<table>' not found in
  // database '<path>'" when it does not.
  std::vector<ColumnInfo> require_table(std::string_view table);
  int64_t count_rows(std::string_view table);
  int64_t total_changes() const { return sqlite3_total_changes64(db_); }
  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (take the write lock up front so a long load cannot fail
// late on a lock upgrade); ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace jobhost::sql
