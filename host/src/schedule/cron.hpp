// Cron schedules with time zones: parsing 5-field expressions and @macros, and the next fire
// instants in a zone across daylight-saving changes (cronie's policy, docs/pipelines.md
// "Schedules"):
//   - wildcard schedules (the minute or the hour field starts with '*') follow the clock as
//     it is: a wall time that does not exist never fires, one that occurs twice fires at both
//     instants;
//   - fixed-time schedules: a wall time skipped by spring-forward fires once, at the
//     transition instant, unless another fire time already falls on that instant; a wall time
//     repeated by fall-back fires once, at its first occurrence.
// Fields: minute hour day-of-month month day-of-week, with *, lists, ranges, steps, month and
// day names (jan..dec, sun..sat), 0 or 7 = Sunday. When both day-of-month and day-of-week are
// restricted, a day matches either (Vixie cron).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jobhost::schedule {

using Instant = std::chrono::sys_seconds;  // UTC, whole seconds

// A bad expression or zone; the message names the field and what is wrong, e.g.
// "cron: hour field '25': 25 is out of range 0-23", or
// "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)".
struct ScheduleError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class Cron {
 public:
  // "*/15 * * * *", "0 6 * * mon-fri", "@hourly" "@daily" (= "@midnight") "@weekly"
  // "@monthly" "@yearly" (= "@annually"). Throws ScheduleError.
  static Cron parse(std::string_view expression);

  const std::string& expression() const { return expression_; }
  // The minute or hour field starts with '*' (the DST policy above).
  bool is_wildcard() const { return wildcard_; }
  // Does this local wall-clock minute match (ignoring seconds)?
  bool matches(int year, unsigned month, unsigned day, unsigned weekday /*0=Sun*/, unsigned hour,
               unsigned minute) const;
  // Does any day ever match? False for "0 0 30 2 *" or "0 0 31 4,6,9,11 *". Exact: the
  // Gregorian calendar (dates and weekdays) repeats every 400 years, and that is what is searched.
  bool ever_matches() const;

  struct Fields;  // cron.cpp
  // The parsed fields (defined in schedule/cron_fields.hpp, inside the component).
  const Fields& fields() const { return *fields_; }
  ~Cron();
  Cron(const Cron&);
  Cron& operator=(const Cron&);
  Cron(Cron&&) noexcept;
  Cron& operator=(Cron&&) noexcept;

 private:
  Cron();
  std::string expression_;
  bool wildcard_ = false;
  std::unique_ptr<Fields> fields_;
};

// A cron expression in a time zone (IANA name from the system tz database).
class Schedule {
 public:
  // Throws ScheduleError for a bad expression or an unknown zone.
  static Schedule parse(std::string_view expression, std::string_view zone = "UTC");

  // The first fire instant strictly after `after`; nullopt when there is none (an expression
  // that can never match, e.g. "0 0 30 2 *", searched up to 8 years ahead).
  std::optional<Instant> next_after(Instant after) const;
  // The last fire instant strictly before `before`; nullopt when none within 8 years.
  std::optional<Instant> previous_before(Instant before) const;
  // The next `count` fire instants strictly after `after`.
  std::vector<Instant> next_n(Instant after, size_t count) const;

  const Cron& cron() const { return cron_; }
  const std::string& zone() const { return zone_; }

 private:
  Schedule(Cron cron, std::string zone, const void* tz);
  Cron cron_;
  std::string zone_;
  const void* tz_;  // const date::time_zone*; kept out of this header
};

// "2026-12-01T13:00:00Z"
std::string format_instant(Instant t);
// "2026-12-01T13:00:00Z", "2026-12-01T14:00:00+01:00", "2026-12-01" (midnight UTC).
std::optional<Instant> parse_instant(std::string_view text);
// The closest IANA zone names, for did-you-mean ("" when none is close).
std::string closest_zone(std::string_view zone);
// Throws ScheduleError unless `zone` names a zone of the tz database:
// "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)".
void check_zone(std::string_view zone);

}  // namespace jobhost::schedule
