// utilities.retention: deletes the rows of a date-partitioned table older than `keep_days`
// before the run's logical date, in one transaction, then VACUUMs to return the space.
#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "jobs.hpp"

namespace jobhost::utilities {
namespace {

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

// `date` minus `days`, both as YYYY-MM-DD; FatalError for a malformed date.
std::string subtract_days(std::string_view date, int64_t days) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  std::string s(date);
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
      d < 1 || d > 31 || civil_from_days(days_from_civil(y, m, d)) != s)
    throw FatalError("the run's logical date '" + s + "' is not a valid YYYY-MM-DD date");
  return civil_from_days(days_from_civil(y, m, d) - days);
}

// Minimal RAII over the handful of SQLite calls this job makes.
class Db {
 public:
  explicit Db(const std::string& path) : path_(path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = "cannot open database '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
      sqlite3_close(db_);
      db_ = nullptr;
      throw FatalError(msg);
    }
    sqlite3_busy_timeout(db_, 30000);
  }
  ~Db() {
    if (in_tx_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  [[noreturn]] void fail(int rc, const std::string& what) {
    std::string msg = what + " in '" + path_ + "': " + sqlite3_errmsg(db_);
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw RetryableError(msg);
    throw FatalError(msg);
  }
  void exec(const std::string& sql, const std::string& what) {
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, what);
    if (sql == "BEGIN IMMEDIATE") in_tx_ = true;
    if (sql == "COMMIT") in_tx_ = false;
  }
  // Runs a statement with text parameters; returns the first column of the first row as
  // text (empty when there is no row) and the rows it changed.
  std::pair<std::string, int64_t> query(const std::string& sql, std::initializer_list<std::string> params,
                                        const std::string& what) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    if (rc != SQLITE_OK) fail(rc, what);
    int i = 1;
    for (auto& p : params) sqlite3_bind_text(st, i++, p.c_str(), static_cast<int>(p.size()), SQLITE_TRANSIENT);
    std::string first;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
      first = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) fail(rc, what);
    return {first, sqlite3_changes64(db_)};
  }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  bool in_tx_ = false;
};

}  // namespace

Status retention(Context& ctx) {
  const auto database = ctx.require<std::string>("database");
  const auto table = ctx.require<std::string>("table");
  const auto column = ctx.require<std::string>("partition_column");
  const auto keep_days = ctx.require<int64_t>("keep_days");
  const bool vacuum = ctx.get_or<bool>("vacuum", true);
  if (keep_days < 0) throw FatalError("config: 'keep_days' must be 0 or more");
  const std::string cutoff = subtract_days(ctx.logical_date(), keep_days);

  Db db(database);
  if (db.query("SELECT name FROM pragma_table_info(?1) WHERE name = ?2 COLLATE NOCASE", {table, column},
               "reading the columns of '" + table + "'").first.empty()) {
    if (db.query("SELECT count(*) FROM pragma_table_info(?1)", {table}, "looking up '" + table + "'").first == "0")
      throw FatalError("table '" + table + "' not found in database '" + database + "'");
    throw FatalError("config: 'partition_column': table '" + table + "' has no column '" + column + "'");
  }

  const std::string t = quote_ident(table), c = quote_ident(column);
  db.exec("BEGIN IMMEDIATE", "starting the retention transaction");
  // A non-text value compares below every text in SQLite, so an INTEGER partition like
  // 20120101 would be deleted whatever its date: refuse anything that is not an ISO date.
  auto bad = db.query("SELECT quote(" + c + ") FROM " + t + " WHERE " + c + " IS NOT NULL AND (typeof(" + c +
                          ") <> 'text' OR " + c + " NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*') LIMIT 1",
                      {}, "checking partition values of '" + table + "'");
  if (!bad.first.empty())
    throw FatalError("table '" + table + "' has a '" + column + "' value that is not an ISO date (" + bad.first +
                     "); retention compares dates as YYYY-MM-DD text and deletes nothing");
  auto deleted = db.query("DELETE FROM " + t + " WHERE " + c + " < ?1", {cutoff},
                          "deleting rows of '" + table + "' before " + cutoff).second;
  db.exec("COMMIT", "committing the retention delete");
  if (vacuum && deleted > 0) db.exec("VACUUM", "vacuuming");

  ctx.metric("rows_deleted", static_cast<double>(deleted));
  ctx.set_output("rows_deleted", std::to_string(deleted));
  ctx.set_output("cutoff_date", cutoff);
  ctx.log_info("deleted " + std::to_string(deleted) + " rows of '" + table + "' with " + column + " before " +
               cutoff + (vacuum && deleted > 0 ? "; vacuumed" : ""));
  return Status::ok();
}

}  // namespace jobhost::utilities
