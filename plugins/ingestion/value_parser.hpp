// Text -> typed value conversion for loaded fields. Dates become ISO-8601 text
// ("2012-01-31", "2012-01-31 13:45:00") so SQLite's date functions work on them.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "column_spec.hpp"
#include "jobhost_common/sqlite.hpp"

namespace jobhost::ingestion {

// Not thread-safe: one per job attempt.
class ValueParser {
 public:
  ValueParser();
  // Binds `text` converted to `spec.type` as parameter `index` of `stmt`. Empty text binds
  // NULL, except for TEXT columns (kept as ''). `scratch` holds converted text until the
  // statement runs, so keep one per column. On a conversion failure returns false and sets
  // `reason` ("column 'x': 'abc' is not an INTEGER").
  bool bind(sql::Statement& stmt, int index, const ColumnSpec& spec, std::string_view text, std::string& scratch,
            std::string& reason);

  static bool parse_integer(std::string_view s, int64_t& out);
  static bool parse_real(std::string_view s, double& out);
  // ISO YYYY-MM-DD when fmt is empty, else a date.h/strftime format; writes YYYY-MM-DD.
  bool parse_date(std::string_view s, const std::string& fmt, std::string& out);
  // ISO "YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z]" or a date only when fmt is empty, else a
  // format; writes "YYYY-MM-DD HH:MM:SS[.fff]".
  bool parse_timestamp(std::string_view s, const std::string& fmt, std::string& out);

 private:
  std::istringstream in_;  // reused: constructing a stream (and its locale) per field is slow
};

}  // namespace jobhost::ingestion
