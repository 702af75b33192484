// Instants as text: RFC 3339 / ISO 8601 in UTC out, a few ISO forms in.
#include <date/date.h>

#include <cstdio>

#include "schedule/cron.hpp"

namespace jobhost::schedule {

namespace {

// A cursor over the text; each read either consumes what it expects or reports false.
struct Reader {
  std::string_view s;
  size_t i = 0;

  bool done() const { return i == s.size(); }
  bool literal(char c) {
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  bool one_of(std::string_view chars) {
    if (i < s.size() && chars.find(s[i]) != std::string_view::npos) return ++i, true;
    return false;
  }
  bool digits(size_t n, int& out) {
    if (s.size() - i < n) return false;
    out = 0;
    for (size_t k = 0; k < n; ++k, ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  }
};

// "Z", "+01:00", "-0530": the offset east of UTC in minutes.
std::optional<int> read_offset(Reader& r) {
  if (r.one_of("Zz")) return 0;
  const bool east = r.literal('+');
  if (!east && !r.literal('-')) return std::nullopt;
  int h = 0, m = 0;
  if (!r.digits(2, h)) return std::nullopt;
  r.literal(':');
  if (!r.digits(2, m) || h > 23 || m > 59) return std::nullopt;
  return (east ? 1 : -1) * (h * 60 + m);
}

}  // namespace

std::string format_instant(Instant t) {
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> time{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buf;
}

std::optional<Instant> parse_instant(std::string_view text) {
  Reader r{text};
  int y = 0, mo = 0, d = 0;
  if (!r.digits(4, y) || !r.literal('-') || !r.digits(2, mo) || !r.literal('-') || !r.digits(2, d))
    return std::nullopt;
  const date::year_month_day ymd{date::year{y}, date::month(static_cast<unsigned>(mo)),
                                 date::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  const Instant midnight{date::sys_days{ymd}};
  if (r.done()) return midnight;  // a bare date: midnight UTC
  int h = 0, mi = 0, s = 0;
  if (!r.one_of("Tt ") || !r.digits(2, h) || !r.literal(':') || !r.digits(2, mi))
    return std::nullopt;
  if (r.literal(':')) {
    if (!r.digits(2, s)) return std::nullopt;
    if (r.literal('.')) {  // fractions are dropped: instants are whole seconds
      int digit = 0;
      if (!r.digits(1, digit)) return std::nullopt;
      while (r.digits(1, digit)) {
      }
    }
  }
  if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  const auto offset = read_offset(r);
  if (!offset || !r.done()) return std::nullopt;  // a time without an offset is ambiguous
  return midnight + std::chrono::hours{h} + std::chrono::minutes{mi - *offset} +
         std::chrono::seconds{s};
}

}  // namespace jobhost::schedule
