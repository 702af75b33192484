#include "cli/usage_format.hpp"

#include <cmath>
#include <cstdio>

namespace jobhost::cli {
namespace {

boost::json::value seconds_or_null(double s) {
  if (s < 0) return nullptr;
  return std::round(s * 1e6) / 1e6;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s >= 100 ? "%.0fs" : s >= 10 ? "%.1fs" : "%.3fs", s);
  return buf;
}

}  // namespace

void add_usage_fields(boost::json::object& o, const AttemptUsage& u) {
  o["peak_rss_bytes"] = u.peak_rss_bytes >= 0 ? boost::json::value(u.peak_rss_bytes) : nullptr;
  o["cpu_user_seconds"] = seconds_or_null(u.cpu_user_seconds);
  o["cpu_system_seconds"] = seconds_or_null(u.cpu_system_seconds);
}

std::string format_peak_rss(const AttemptUsage& u) {
  if (u.peak_rss_bytes < 0) return "-";
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto v = static_cast<double>(u.peak_rss_bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string format_cpu(const AttemptUsage& u) {
  if (u.cpu_user_seconds < 0 && u.cpu_system_seconds < 0) return "-";
  auto part = [](double s) { return s < 0 ? std::string("?") : seconds_text(s); };
  return part(u.cpu_user_seconds) + "/" + part(u.cpu_system_seconds);
}

}  // namespace jobhost::cli
