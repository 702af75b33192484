#include "value_parser.hpp"

#include <date/date.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <locale>

namespace jobhost::ingestion {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// Fixed-width zero-padded decimal, without printf (this runs for every date of a load).
void put(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
}

void write_date(int y, unsigned m, unsigned d, std::string& out) {
  if (y < 0 || y > 9999) {  // outside what four digits hold: rare, keep the general path
    out = date::format("%F", date::year_month_day{date::year{y}, date::month{m}, date::day{d}});
    return;
  }
  out.resize(10);
  put(out.data(), static_cast<unsigned>(y), 4);
  out[4] = '-';
  put(out.data() + 5, m, 2);
  out[7] = '-';
  put(out.data() + 8, d, 2);
}

// "YYYY-MM-DD" at the start of s; checks the calendar (no 2021-02-30).
bool iso_date(std::string_view s, int& y, unsigned& m, unsigned& d) {
  int yy, mm, dd;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, yy) || !digits(s, 5, 2, mm) ||
      !digits(s, 8, 2, dd))
    return false;
  date::year_month_day ymd{date::year{yy}, date::month{static_cast<unsigned>(mm)}, date::day{static_cast<unsigned>(dd)}};
  if (!ymd.ok()) return false;
  y = yy;
  m = static_cast<unsigned>(mm);
  d = static_cast<unsigned>(dd);
  return true;
}

}  // namespace

ValueParser::ValueParser() { in_.imbue(std::locale::classic()); }

bool ValueParser::parse_integer(std::string_view s, int64_t& out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ValueParser::parse_real(std::string_view s, double& out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

bool ValueParser::parse_date(std::string_view s, const std::string& fmt, std::string& out) {
  s = trim(s);
  if (fmt.empty()) {
    int y;
    unsigned m, d;
    if (s.size() != 10 || !iso_date(s, y, m, d)) return false;
    write_date(y, m, d, out);
    return true;
  }
  in_.clear();
  in_.str(std::string(s));
  date::year_month_day ymd{};
  date::from_stream(in_, fmt.c_str(), ymd);
  if (in_.fail() || !ymd.ok() || in_.peek() != std::char_traits<char>::eof()) return false;
  write_date(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), out);
  return true;
}

bool ValueParser::parse_timestamp(std::string_view s, const std::string& fmt, std::string& out) {
  s = trim(s);
  if (!fmt.empty()) {
    in_.clear();
    in_.str(std::string(s));
    date::sys_seconds tp{};
    date::from_stream(in_, fmt.c_str(), tp);
    if (in_.fail() || in_.peek() != std::char_traits<char>::eof()) return false;
    out = date::format("%Y-%m-%d %H:%M:%S", tp);
    return true;
  }
  int y;
  unsigned m, d;
  if (!iso_date(s, y, m, d)) return false;
  int hh = 0, mi = 0, ss = 0;
  std::string_view frac;
  size_t p = 10;
  if (p < s.size()) {
    if ((s[p] != ' ' && s[p] != 'T') || !digits(s, p + 1, 2, hh) || p + 3 >= s.size() || s[p + 3] != ':' ||
        !digits(s, p + 4, 2, mi))
      return false;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, ss)) return false;
      p += 3;
      if (p < s.size() && s[p] == '.') {
        size_t start = ++p;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
        if (p == start) return false;
        frac = s.substr(start, p - start);
      }
    }
    if (p < s.size() && s[p] == 'Z') ++p;  // UTC designator; offsets need a date_format with %z
    if (p != s.size() || hh > 23 || mi > 59 || ss > 59) return false;
  }
  write_date(y, m, d, out);
  out.resize(19);
  out[10] = ' ';
  put(out.data() + 11, static_cast<unsigned>(hh), 2);
  out[13] = ':';
  put(out.data() + 14, static_cast<unsigned>(mi), 2);
  out[16] = ':';
  put(out.data() + 17, static_cast<unsigned>(ss), 2);
  if (!frac.empty()) out.append(".").append(frac);
  return true;
}

bool ValueParser::bind(sql::Statement& stmt, int index, const ColumnSpec& spec, std::string_view text,
                       std::string& scratch, std::string& reason) {
  if (spec.type == ValueType::text) {
    stmt.bind_text(index, text);
    return true;
  }
  if (trim(text).empty()) {
    stmt.bind_null(index);
    return true;
  }
  bool ok = false;
  switch (spec.type) {
    case ValueType::integer: {
      int64_t v;
      if ((ok = parse_integer(text, v))) stmt.bind_int(index, v);
      break;
    }
    case ValueType::real: {
      double v;
      if ((ok = parse_real(text, v))) stmt.bind_double(index, v);
      break;
    }
    case ValueType::date:
      if ((ok = parse_date(text, spec.date_format, scratch))) stmt.bind_text(index, scratch);
      break;
    case ValueType::timestamp:
      if ((ok = parse_timestamp(text, spec.date_format, scratch))) stmt.bind_text(index, scratch);
      break;
    default: break;
  }
  if (!ok) {
    std::string shown(text.substr(0, 60));
    reason = "column '" + spec.name + "': '" + shown + (text.size() > 60 ? "...'" : "'") + " is not " +
             (spec.type == ValueType::integer ? std::string("an INTEGER") : std::string("a ") + type_name(spec.type));
    if (!spec.date_format.empty()) reason += " in format '" + spec.date_format + "'";
  }
  return ok;
}

}  // namespace jobhost::ingestion
