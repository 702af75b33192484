// Zone lookup and did-you-mean over the system tz database (Debian's build of the date library
// reads /usr/share/zoneinfo: USE_OS_TZDB=1).
#include "schedule/zone.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "config/diagnostics.hpp"  // closest_match
#include "schedule/cron.hpp"

namespace jobhost::schedule {

namespace {

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c == ' ' ? '_' : static_cast<char>(std::tolower(c));
  });
  return out;
}

std::string_view last_part(std::string_view name) {
  auto slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// Every zone name, in the database's (sorted) order, and the same lower-cased.
struct ZoneNames {
  std::vector<std::string> names, lower;
};

const ZoneNames& zone_names() {
  static const ZoneNames all = [] {
    ZoneNames z;
    for (auto& zone : date::get_tzdb().zones) {
      z.names.push_back(zone.name());
      z.lower.push_back(lowered(zone.name()));
    }
    return z;
  }();
  return all;
}

// The name at the same index as `lower` in z.lower ("" for "").
std::string original_of(const ZoneNames& z, const std::string& lower) {
  if (lower.empty()) return "";
  auto it = std::find(z.lower.begin(), z.lower.end(), lower);
  return it == z.lower.end() ? "" : z.names[static_cast<size_t>(it - z.lower.begin())];
}

}  // namespace

std::string closest_zone(std::string_view zone) {
  if (zone.empty()) return "";
  const ZoneNames& z = zone_names();
  const std::string want = lowered(zone);
  // A case slip ("europe/berlin"), then a city without its region ("Berlin", "New York"),
  // then a typo in the full name, then a typo in the city.
  if (auto exact = original_of(z, want); !exact.empty()) return exact;
  const std::string_view city = last_part(want);
  for (size_t i = 0; i < z.lower.size(); ++i)
    if (last_part(z.lower[i]) == city && z.lower[i].find('/') != std::string::npos)
      return z.names[i];
  if (auto near = original_of(z, closest_match(want, z.lower)); !near.empty()) return near;
  std::vector<std::string> cities;
  cities.reserve(z.lower.size());
  for (auto& l : z.lower) cities.emplace_back(last_part(l));
  const std::string near_city = closest_match(std::string(city), cities);
  if (near_city.empty()) return "";
  for (size_t i = 0; i < cities.size(); ++i)
    if (cities[i] == near_city) return z.names[i];
  return "";
}

const date::time_zone& locate_zone(std::string_view zone) {
  try {
    if (!zone.empty()) return *date::locate_zone(zone);
  } catch (const std::exception&) {
    // not found: reported below with a hint
  }
  if (zone.empty())
    throw ScheduleError(
        "the time zone is empty (write an IANA name like \"UTC\" or \"Europe/Berlin\")");
  const std::string hint = closest_zone(zone);
  throw ScheduleError("unknown time zone '" + std::string(zone) + "'" +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

void check_zone(std::string_view zone) { locate_zone(zone); }

}  // namespace jobhost::schedule
