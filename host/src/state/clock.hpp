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
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace jobhost::state
