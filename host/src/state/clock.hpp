// Timestamps as the store keeps them: ISO-8601 UTC with milliseconds, e.g.
// 2026-11-28T06:00:01.250Z. SQLite's julianday() reads this form, so durations are computed
// in SQL.
#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace jobhost::state {

inline std::string now_iso_utc() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  // Two stamps per job on large runs: the calendar part is formatted once per second.
  thread_local std::time_t cached_second = -1;
  thread_local char prefix[40];
  if (t != cached_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = t;
  }
  std::string out(prefix);
  char tail[8] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10), 'Z', '\0'};
  out += tail;
  return out;
}

}  // namespace jobhost::state
