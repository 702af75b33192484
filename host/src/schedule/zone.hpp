// Inside the schedule component: zone lookup in the system tz database.
#pragma once

#include <date/tz.h>

#include <string_view>

namespace jobhost::schedule {

// The zone named `zone` (an IANA name such as "Europe/Berlin", or "UTC"). Throws
// ScheduleError with a did-you-mean when the database has no such zone. The zone lives as long
// as the process (the database is loaded once and never reloaded).
const date::time_zone& locate_zone(std::string_view zone);

}  // namespace jobhost::schedule
