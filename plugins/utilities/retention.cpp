// utilities.retention: deletes the rows of a date-partitioned table older than `keep_days`
// before the run's logical date, in one transaction, then VACUUMs to return the space.
#include <algorithm>
#include <cstdio>
#include <string>

#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/identifiers.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobhost_common/sqlite.hpp"
#include "jobs.hpp"

namespace jobhost::utilities {
namespace {

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

Status run_retention(Context& ctx) {
  common::reject_unknown_keys(ctx, "", {"database", "table", "partition_column", "keep_days", "vacuum"});
  const auto database = ctx.require<std::string>("database");
  const auto table = ctx.require<std::string>("table");
  const auto column = ctx.require<std::string>("partition_column");
  const auto keep_days = ctx.require<int64_t>("keep_days");
  const bool vacuum = ctx.get_or<bool>("vacuum", true);
  if (keep_days < 0) throw FatalError("config: 'keep_days' must be 0 or more");
  const std::string cutoff = subtract_days(ctx.logical_date(), keep_days);

  // Trimming a warehouse that is not there is a mistake in the config: never create it.
  sql::Database db(database, sql::Database::OpenMode::kExisting);
  auto columns = db.require_table(table);
  if (std::none_of(columns.begin(), columns.end(), [&](auto& c) { return sql::same_identifier(c.name, column); }))
    throw FatalError("config: 'partition_column': table '" + table + "' has no column '" + column + "'");

  const std::string t = sql::quote_ident(table), c = sql::quote_ident(column);
  int64_t deleted = 0;
  {
    sql::Transaction tx(db);
    // A non-text value compares below every text in SQLite, so an INTEGER partition like
    // 20120101 would be deleted whatever its date: refuse anything that is not an ISO date.
    auto bad = db.prepare("SELECT quote(" + c + ") FROM " + t + " WHERE " + c + " IS NOT NULL AND (typeof(" + c +
                              ") <> 'text' OR " + c +
                              " NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*') LIMIT 1",
                          "checking partition values of '" + table + "'");
    if (bad.step())
      throw FatalError("table '" + table + "' has a '" + column + "' value that is not an ISO date (" +
                       bad.get_text(0) + "); retention compares dates as YYYY-MM-DD text and deletes nothing");
    auto del = db.prepare("DELETE FROM " + t + " WHERE " + c + " < ?1",
                          "deleting rows of '" + table + "' before " + cutoff);
    del.bind_text(1, cutoff);
    del.run();
    deleted = sqlite3_changes64(db.raw());  // rows of this table only, not a trigger's
    tx.commit();
  }
  // After the statements are finalised: VACUUM refuses to run while any is in progress.
  if (vacuum && deleted > 0) db.exec("VACUUM", "vacuuming");

  ctx.metric("rows_deleted", static_cast<double>(deleted));
  ctx.set_output("rows_deleted", std::to_string(deleted));
  ctx.set_output("cutoff_date", cutoff);
  ctx.log_info("deleted " + std::to_string(deleted) + " rows of '" + table + "' with " + column + " before " +
               cutoff + (vacuum && deleted > 0 ? "; vacuumed" : ""));
  return Status::ok();
}

}  // namespace

Status retention(Context& ctx) { return common::run_named(ctx, run_retention); }

}  // namespace jobhost::utilities
