// Inside the schedule component: a parsed cron expression as bit sets, and the search for
// matching wall-clock minutes that Schedule builds its time-zone rules on.
#pragma once

#include <date/date.h>

#include <cstdint>
#include <optional>

#include "schedule/cron.hpp"

namespace jobhost::schedule {

struct Cron::Fields {
  uint64_t minutes = 0;  // bit m for minute m, 0-59
  uint32_t hours = 0;    // bit h, 0-23
  uint32_t days = 0;     // bit d, 1-31
  uint16_t months = 0;   // bit m, 1-12
  uint8_t weekdays = 0;  // bit w, 0-6 (Sunday 0; a 7 in the expression is folded into 0)
  // The day-of-month or day-of-week field starts with '*': the Vixie rule below then ANDs
  // the two day fields instead of ORing them (so "*/2" counts as unrestricted, as in cronie).
  bool days_star = true;
  bool weekdays_star = true;

  bool day_matches(unsigned month, unsigned day, unsigned weekday) const {
    if (!(months >> month & 1u)) return false;
    const bool by_day = days >> day & 1u, by_weekday = weekdays >> weekday & 1u;
    return days_star || weekdays_star ? by_day && by_weekday : by_day || by_weekday;
  }
};

// Wall-clock (zone-less) times, in the date library's local_time.
using LocalSeconds = date::local_seconds;

// The first matching wall-clock minute at or after `from` and before `until`; nullopt when
// none. Skips whole months, days and hours that cannot match, so a search over years costs
// a few thousand steps at most.
std::optional<LocalSeconds> next_match(const Cron::Fields& f, LocalSeconds from,
                                       LocalSeconds until);
// The last matching wall-clock minute at or before `from` and at or after `lower`.
std::optional<LocalSeconds> previous_match(const Cron::Fields& f, LocalSeconds from,
                                           LocalSeconds lower);

}  // namespace jobhost::schedule
