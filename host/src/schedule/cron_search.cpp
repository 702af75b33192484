// Finding matching wall-clock minutes: a walk that jumps to the next month, day, hour or
// minute that can match instead of testing every minute, so that a daemon can compute the next
// fire time of a thousand schedules every minute, and a never-matching expression is found out
// after a few thousand steps over years.
#include <bit>

#include "schedule/cron_fields.hpp"

namespace jobhost::schedule {

namespace {

using date::days;
using std::chrono::hours;
using std::chrono::minutes;
using LocalMinutes = date::local_time<minutes>;

// The lowest set bit at or above `from`; -1 when none.
int next_bit(uint64_t bits, unsigned from) {
  if (from >= 64) return -1;
  const uint64_t m = bits & (~uint64_t{0} << from);
  return m ? std::countr_zero(m) : -1;
}

// The highest set bit at or below `from`; -1 when none.
int previous_bit(uint64_t bits, unsigned from) {
  const uint64_t m = from >= 63 ? bits : bits & ((uint64_t{2} << from) - 1);
  return m ? 63 - std::countl_zero(m) : -1;
}

// A wall-clock minute split into its calendar day and time of day.
struct WallMinute {
  date::local_days day;
  date::year_month_day ymd;
  unsigned hour, minute;

  explicit WallMinute(LocalMinutes t)
      : day(date::floor<days>(t)),
        ymd(day),
        hour(static_cast<unsigned>((t - day) / hours{1})),
        minute(static_cast<unsigned>((t - day) % hours{1} / minutes{1})) {}

  unsigned month() const { return static_cast<unsigned>(ymd.month()); }
  bool day_matches(const Cron::Fields& f) const {
    return f.day_matches(month(), static_cast<unsigned>(ymd.day()),
                         date::weekday{day}.c_encoding());
  }
};

}  // namespace

std::optional<LocalSeconds> next_match(const Cron::Fields& f, LocalSeconds from,
                                       LocalSeconds until) {
  LocalMinutes t = date::ceil<minutes>(from);
  while (t < until) {
    const WallMinute w(t);
    if (!(f.months >> w.month() & 1u)) {  // on to the first day of the next month
      t = date::local_days{(w.ymd.year() / w.ymd.month() + date::months{1}) / 1};
      continue;
    }
    if (!w.day_matches(f)) {
      t = w.day + days{1};
      continue;
    }
    const int h = next_bit(f.hours, w.hour);
    if (h < 0) {
      t = w.day + days{1};
    } else if (static_cast<unsigned>(h) != w.hour) {
      t = w.day + hours{h};
    } else if (const int m = next_bit(f.minutes, w.minute); m < 0) {
      t = w.day + hours{w.hour + 1};
    } else {
      const LocalMinutes found = w.day + hours{h} + minutes{m};
      if (found >= until) return std::nullopt;
      return LocalSeconds{found};
    }
  }
  return std::nullopt;
}

std::optional<LocalSeconds> previous_match(const Cron::Fields& f, LocalSeconds from,
                                           LocalSeconds lower) {
  LocalMinutes t = date::floor<minutes>(from);
  const LocalMinutes lowest = date::ceil<minutes>(lower);
  while (t >= lowest) {
    const WallMinute w(t);
    if (!(f.months >> w.month() & 1u)) {  // back to the last minute of the previous month
      t = date::local_days{w.ymd.year() / w.ymd.month() / 1} - minutes{1};
      continue;
    }
    if (!w.day_matches(f)) {
      t = w.day - minutes{1};
      continue;
    }
    const int h = previous_bit(f.hours, w.hour);
    if (h < 0) {
      t = w.day - minutes{1};
    } else if (static_cast<unsigned>(h) != w.hour) {
      t = w.day + hours{h} + minutes{59};
    } else if (const int m = previous_bit(f.minutes, w.minute); m < 0) {
      t = w.day + hours{w.hour} - minutes{1};
    } else {
      const LocalMinutes found = w.day + hours{h} + minutes{m};
      if (found < lowest) return std::nullopt;
      return LocalSeconds{found};
    }
  }
  return std::nullopt;
}

}  // namespace jobhost::schedule
