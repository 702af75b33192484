#include "state/sqlite_handle.hpp"

#include <utility>

namespace jobhost::state::sql {

Db::Db(const std::string& path) : path_(path) {
  // NOMUTEX: a connection is only ever used by one thread at a time (the writer's by its
  // thread, the control one under RunStore's mutex), so SQLite's own locking is pure cost.
  int rc = sqlite3_open_v2(path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreError("state store " + path + ": cannot open: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  drop_cache();
  if (db_) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)), cache_(std::move(other.cache_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    drop_cache();
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

void Db::cache_statements() {
  if (!cache_) cache_ = std::make_unique<StmtCache>();
}

void Db::drop_cache() {
  if (!cache_) return;
  for (auto& [sql, stmt] : *cache_) sqlite3_finalize(stmt);
  cache_.reset();
}

bool disable_memory_statistics() { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError("state store " + path_ + ": " + msg);
  }
}

void Db::fail(const std::string& what) const {
  throw StoreError("state store " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

Stmt::Stmt(const Db& db, const char* sql) : db_(db) {
  if (db.cache_) {
    cache_key_ = sql;
    if (auto it = db.cache_->find(cache_key_); it != db.cache_->end()) {
      stmt_ = it->second;
      db.cache_->erase(it);
      return;
    }
  }
  if (sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
      SQLITE_OK)
    db.fail("cannot prepare statement");
}

Stmt::~Stmt() {
  if (db_.cache_ && stmt_ && !cache_key_.empty()) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    // Another Stmt of the same text may have been given back first: keep one.
    if (db_.cache_->try_emplace(std::move(cache_key_), stmt_).second) return;
  }
  sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    db_.fail("cannot bind parameter");
  return *this;
}

Stmt& Stmt::bind_ref(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_STATIC) != SQLITE_OK)
    db_.fail("cannot bind parameter");
  return *this;
}

Stmt& Stmt::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("cannot bind parameter");
  return *this;
}

Stmt& Stmt::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_.fail("cannot bind parameter");
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_.fail("cannot bind parameter");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Capture the message before reset() can replace it.
  std::string msg = sqlite3_errmsg(db_.get());
  sqlite3_reset(stmt_);
  throw StoreError("state store " + db_.path() + ": " + msg);
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  // A failed statement may already have rolled the transaction back (disk full, I/O error).
  if (open_ && !sqlite3_get_autocommit(db_.get())) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace jobhost::state::sql
