#include "sqlite_db.hpp"

namespace jobhost::ml {

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw RetryableError(msg);
  throw FatalError(msg);
}

Statement::Statement(sqlite3* db, std::string_view sql, std::string what)
    : db_(db), what_(std::move(what)) {
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, what_);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(db_, rc, what_);
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
  int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database '" + path + "': " +
                      (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw FatalError(msg);
  }
  // Other jobs may write the same warehouse: wait for their locks instead of failing.
  sqlite3_busy_timeout(db_, 30000);
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(std::string_view sql, std::string_view what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, what);
}

std::vector<ColumnInfo> Database::columns(std::string_view table) {
  Statement st(db_, "SELECT name, type FROM pragma_table_info(?1)",
               "reading the columns of table '" + std::string(table) + "'");
  sqlite3_bind_text(st.raw(), 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
  std::vector<ColumnInfo> out;
  while (st.step()) {
    auto text = [&](int i) {
      auto p = sqlite3_column_text(st.raw(), i);
      return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
    };
    out.push_back({text(0), text(1)});
  }
  if (out.empty())
    throw FatalError("table '" + std::string(table) + "' not found in database '" + path_ + "'");
  return out;
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE", "starting a transaction"); }

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT", "committing");
  open_ = false;
}

}  // namespace jobhost::ml
