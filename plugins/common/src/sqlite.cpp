#include "jobhost_common/sqlite.hpp"

#include <cctype>
#include <filesystem>

#include "jobhost_common/identifiers.hpp"

namespace jobhost::sql {

void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw SqlBusyError(msg);
  throw SqlError(msg);
}

std::string abbreviate_sql(std::string_view sql, size_t max_chars) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

// ---- Statement ----

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    what_ = std::move(o.what_);
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

void Statement::bind_null(int i) {
  if (int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK) throw_sqlite(db_, rc, what_);
}
void Statement::bind_int(int i, int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK) throw_sqlite(db_, rc, what_);
}
void Statement::bind_double(int i, double v) {
  if (int rc = sqlite3_bind_double(stmt_, i, v); rc != SQLITE_OK) throw_sqlite(db_, rc, what_);
}
void Statement::bind_text(int i, std::string_view v) {
  // An empty view may have a null data pointer, which SQLite would bind as NULL.
  int rc = sqlite3_bind_text64(stmt_, i, v.data() ? v.data() : "", v.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, what_);
}
void Statement::bind_text_copy(int i, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, i, v.data() ? v.data() : "", v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, what_);
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  throw_sqlite(db_, rc, what_);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() { sqlite3_reset(stmt_); }

std::string Statement::column_name(int i) const {
  const char* n = sqlite3_column_name(stmt_, i);
  return n ? n : "";
}

std::string Statement::column_decltype(int i) const {
  const char* t = sqlite3_column_decltype(stmt_, i);
  return t ? t : "";
}

std::string Statement::get_text(int i) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
}

std::string Statement::render(int i) const {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_NULL: return "NULL";
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: return get_text(i);
    case SQLITE_BLOB: return "<blob " + std::to_string(sqlite3_column_bytes(stmt_, i)) + " bytes>";
    default: return quote_literal(get_text(i));
  }
}

// ---- Database ----

Database::Database(const std::string& path, OpenMode mode) : path_(path) {
  if (path.empty()) throw FatalError("database path is empty");
  if (mode == OpenMode::kCreate && path != ":memory:") {
    auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw FatalError("cannot create folder '" + parent.string() + "' for database: " + ec.message());
  }
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case OpenMode::kCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case OpenMode::kExisting: flags |= SQLITE_OPEN_READWRITE; break;
    case OpenMode::kReadOnly: flags |= SQLITE_OPEN_READONLY; break;
  }
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw FatalError(msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 30000);
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

void Database::exec(std::string_view sql, std::string_view what) {
  Script script(*this, std::string(sql), std::string(what));
  while (auto st = script.next()) st->run();
}

Statement Database::prepare(std::string_view sql, std::string_view what) {
  sqlite3_stmt* stmt = nullptr;
  std::string name = std::string(what) + " [" + abbreviate_sql(sql) + "]";
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, name);
  if (!stmt) throw SqlError(name + ": no SQL statement");
  return Statement(db_, stmt, std::move(name));
}

std::optional<Statement> Database::Script::next() {
  while (offset_ < sql_.size()) {
    const char* start = sql_.data() + offset_;
    const char* tail = nullptr;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_.db_, start, static_cast<int>(sql_.size() - offset_), &stmt, &tail);
    std::string_view text(start, static_cast<size_t>(tail ? tail - start : sql_.size() - offset_));
    offset_ = tail ? static_cast<size_t>(tail - sql_.data()) : sql_.size();
    if (rc != SQLITE_OK) {
      throw_sqlite(db_.db_, rc, what_ + ", statement " + std::to_string(index_ + 1) + " [" + abbreviate_sql(text) + "]");
    }
    if (!stmt) continue;  // only whitespace or comments
    ++index_;
    return Statement(db_.db_, stmt, what_ + ", statement " + std::to_string(index_) + " [" + abbreviate_sql(text) + "]");
  }
  return std::nullopt;
}

bool Database::Script::done() const {
  size_t i = offset_;
  while (i < sql_.size()) {
    char c = sql_[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      ++i;
    } else if (sql_.compare(i, 2, "--") == 0) {
      size_t nl = sql_.find('\n', i);
      i = nl == std::string::npos ? sql_.size() : nl + 1;
    } else if (sql_.compare(i, 2, "/*") == 0) {
      size_t end = sql_.find("*/", i + 2);
      i = end == std::string::npos ? sql_.size() : end + 2;
    } else {
      return false;
    }
  }
  return true;
}

bool Database::table_exists(std::string_view name) {
  auto st = prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?1 COLLATE NOCASE",
                    "looking up table");
  st.bind_text(1, name);
  return st.step();
}

std::vector<std::string> Database::columns(std::string_view table) {
  std::vector<std::string> out;
  for (auto& c : column_info(table)) out.push_back(std::move(c.name));
  return out;
}

std::vector<ColumnInfo> Database::column_info(std::string_view table) {
  auto st = prepare("SELECT name, type FROM pragma_table_info(?1)", "reading columns of " + quote_ident(table));
  st.bind_text(1, table);
  std::vector<ColumnInfo> out;
  while (st.step()) out.push_back({st.get_text(0), st.get_text(1)});
  return out;
}

std::vector<ColumnInfo> Database::require_table(std::string_view table) {
  auto out = column_info(table);
  if (out.empty()) throw FatalError("table '" + std::string(table) + "' not found in database '" + path_ + "'");
  return out;
}

int64_t Database::count_rows(std::string_view table) {
  auto st = prepare("SELECT count(*) FROM " + quote_ident(table), "counting rows of " + quote_ident(table));
  st.step();
  return st.get_int(0);
}

// ---- Transaction ----

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE", "starting a transaction"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT", "committing the transaction");
  done_ = true;
}

}  // namespace jobhost::sql
