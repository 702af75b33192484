// Timestamps as the store keeps them: ISO-8601 UTC with milliseconds, e.g.
// 2026-11-28T06:00:01.250Z. SQLite's julianday() reads this form, so durations are computed
// in SQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>

namespace jobhost::state {

// Milliseconds since the Unix epoch, now: cheap to take on a hot path and format later.
inline int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

constexpr size_t kIsoUtcLength = 24;  // 2026-11-28T06:00:01.250Z

// Writes `unix_ms` as ISO-8601 UTC with milliseconds into `out` (kIsoUtcLength characters
// and a terminating NUL). The calendar part is formatted once per second per thread.
inline void format_iso_utc(int64_t unix_ms, char (&out)[kIsoUtcLength + 1]) {
  int64_t ms = unix_ms % 1000;
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  if (ms < 0) {
    ms += 1000;
    t -= 1;
  }
  thread_local std::time_t cached_second = -1;
  thread_local char prefix[40];
  if (t != cached_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = t;
  }
  std::memcpy(out, prefix, 19);
  out[19] = '.';
  out[20] = static_cast<char>('0' + ms / 100);
  out[21] = static_cast<char>('0' + ms / 10 % 10);
  out[22] = static_cast<char>('0' + ms % 10);
  out[23] = 'Z';
  out[24] = '\0';
}

inline std::string iso_utc(int64_t unix_ms) {
  char buf[kIsoUtcLength + 1];
  format_iso_utc(unix_ms, buf);
  return buf;
}

inline std::string now_iso_utc() { return iso_utc(now_unix_ms()); }

}  // namespace jobhost::state
