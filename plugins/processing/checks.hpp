// Data-quality checks of processing.validate: how each check is read from config and turned
// into SQL that counts (and shows) the rows that fail it.
#pragma once

#include <jobhost/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jobhost_common/sqlite.hpp"

namespace jobhost::processing {

struct Check {
  size_t index = 0;            // position in `checks` (0-based, as in checks[0])
  std::string type;            // not_null, unique, accepted_values, range, expression, row_count, freshness
  bool warn_only = false;      // severity = "warn"
  std::string label;           // "check 2 (range precipitation)" for logs and errors
  std::string failing_where;   // row-level checks: SQL condition selecting failing rows
  std::vector<std::string> columns;  // unique: key columns
  std::optional<double> min, max;    // range, row_count
  double max_age_days = 0;           // freshness
};

struct CheckResult {
  int64_t failed = 0;                 // failing rows (row_count: rows missing or in excess)
  std::vector<std::string> examples;  // a few failing rows, rendered "col=value, ..."
};

// Reads and checks `checks` against the table's columns. FatalError naming the check for an
// unknown type, key or severity, a missing key, or a column the table does not have.
std::vector<Check> read_checks(const Context& ctx, const std::string& table, const std::vector<std::string>& columns);

// Runs one check. `logical_date` (YYYY-MM-DD) anchors freshness: data must be newer than the
// end of that day minus max_age, so a rerun for a date gives the same answer.
CheckResult run_check(sql::Database& db, const std::string& table, const Check& check,
                      std::string_view logical_date);

}  // namespace jobhost::processing
