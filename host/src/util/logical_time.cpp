#include "util/logical_time.hpp"

#include <chrono>
#include <cstdio>

namespace jobhost {
namespace {

using namespace std::chrono;

// `n` decimal digits at `pos`, or -1.
int digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// YYYY-MM-DD at the start of `s`, a real calendar date.
bool parse_date(std::string_view s, year_month_day& out, std::string* error) {
  const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || m < 0 || d < 0 || s[4] != '-' || s[7] != '-')
    return fail(error, "not a date or an ISO instant");
  out = year{y} / month{static_cast<unsigned>(m)} / day{static_cast<unsigned>(d)};
  if (!out.ok()) return fail(error, std::string(s.substr(0, 10)) + " is not a calendar date");
  return true;
}

// The offset east of UTC at the end of an instant: Z, +HH:MM, -HH:MM, +HHMM or -HHMM.
bool parse_offset(std::string_view s, minutes& out, std::string* error) {
  if (s.empty()) return fail(error, "no UTC offset (add Z, or one like +01:00)");
  if (s == "Z" || s == "z") {
    out = minutes{0};
    return true;
  }
  if (s[0] == '.') return fail(error, "fractions of a second are not supported");
  const bool colon = s.size() == 6 && s[3] == ':';
  const int h = digits(s, 1, 2), m = digits(s, colon ? 4 : 3, 2);
  if ((s[0] != '+' && s[0] != '-') || (s.size() != 5 && !colon) || h < 0 || m < 0)
    return fail(error, "bad UTC offset '" + std::string(s) + "' (use Z, or one like +01:00)");
  if (h > 23 || m > 59) return fail(error, "UTC offset '" + std::string(s) + "' is out of range");
  out = (s[0] == '-' ? -1 : 1) * (hours{h} + minutes{m});
  return true;
}

std::string format_instant(sys_seconds t) {
  const auto day_start = floor<days>(t);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{t - day_start};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// YYYY-MM-DDTHH:MM[:SS]<offset>, in UTC.
std::optional<sys_seconds> parse_instant(std::string_view s, std::string* error) {
  year_month_day ymd;
  if (!parse_date(s, ymd, error)) return std::nullopt;
  if (s.size() < 16 || (s[10] != 'T' && s[10] != 't') || s[13] != ':') {
    fail(error, "not a date or an ISO instant");
    return std::nullopt;
  }
  const int h = digits(s, 11, 2), m = digits(s, 14, 2);
  size_t rest = 16;
  int sec = 0;
  if (s.size() > 16 && s[16] == ':') {
    sec = digits(s, 17, 2);
    rest = 19;
  }
  if (h < 0 || m < 0 || sec < 0) {
    fail(error, "bad time of day (use HH:MM:SS)");
    return std::nullopt;
  }
  if (h > 23 || m > 59 || sec > 59) {
    fail(error, "time of day " + std::string(s.substr(11, rest - 11)) + " is out of range");
    return std::nullopt;
  }
  minutes offset{0};
  if (!parse_offset(s.substr(rest), offset, error)) return std::nullopt;
  const sys_seconds t = sys_days{ymd} + hours{h} + minutes{m} + seconds{sec} - offset;
  const int utc_year = static_cast<int>(year_month_day{floor<days>(t)}.year());
  if (utc_year < 1 || utc_year > 9999) {
    fail(error, "the instant in UTC is outside the years 0001-9999");
    return std::nullopt;
  }
  return t;
}

}  // namespace

std::optional<std::string> normalize_logical_time(std::string_view text, std::string* error) {
  year_month_day ymd;
  if (text.size() == 10) {
    if (!parse_date(text, ymd, error)) return std::nullopt;
    return std::string(text);
  }
  auto t = parse_instant(text, error);
  if (!t) return std::nullopt;
  return format_instant(*t);
}

std::optional<std::string> normalize_instant(std::string_view text, std::string* error) {
  auto key = normalize_logical_time(text, error);
  if (!key) return std::nullopt;
  return logical_time_of(*key);
}

bool is_date_key(std::string_view key) { return key.size() == 10; }

std::string logical_date_of(std::string_view key) { return std::string(key.substr(0, 10)); }

std::string logical_time_of(std::string_view key) {
  return is_date_key(key) ? std::string(key) + "T00:00:00Z" : std::string(key);
}

DataInterval default_data_interval(std::string_view key) {
  if (!is_date_key(key)) return {std::string(key), std::string(key)};
  year_month_day ymd;
  if (!parse_date(key, ymd, nullptr)) return {logical_time_of(key), logical_time_of(key)};
  return {logical_time_of(key), format_instant(sys_days{ymd} + days{1})};
}

std::string run_id_stamp(std::string_view key) {
  std::string stamp;
  for (char c : key)
    if ((c >= '0' && c <= '9') || c == 'T' || c == 'Z') stamp += c;
  return stamp;
}

}  // namespace jobhost
