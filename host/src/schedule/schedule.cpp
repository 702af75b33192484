// Fire instants of a cron expression in a time zone, with cronie's daylight-saving policy
// (cron.hpp). The timeline is walked one UTC-offset period at a time: inside a period wall
// time and instants map one to one, so the calendar search of cron_search.cpp applies as is,
// and only the edges of a period need the policy.
#include <algorithm>

#include "schedule/cron_fields.hpp"
#include "schedule/zone.hpp"

namespace jobhost::schedule {

namespace {

using std::chrono::seconds;

// How far next_after and previous_before search: 8 years covers every leap day (29 February
// comes round every 4 years, or 8 across a skipped leap year such as 2100).
constexpr date::days kHorizon{2922};
// Before this a zone's first period has no predecessor worth asking for.
constexpr Instant kEarliest{date::sys_days{date::year{1800} / 1 / 1}};

const date::time_zone& zone_of(const void* tz) { return *static_cast<const date::time_zone*>(tz); }

LocalSeconds to_wall(Instant t, seconds offset) {
  return LocalSeconds{t.time_since_epoch() + offset};
}
Instant to_instant(LocalSeconds wall, seconds offset) {
  return Instant{wall.time_since_epoch() - offset};
}

// A stretch of time with one UTC offset. At `begin` the offset changed from `offset_before`:
// when it grew, the wall times in [wall_before, wall_begin) were skipped; when it shrank, the
// wall times in [wall_begin, wall_before) occur a second time.
struct Period {
  Instant begin, end;
  seconds offset;
  std::optional<seconds> offset_before;

  LocalSeconds wall_begin() const { return to_wall(begin, offset); }
  LocalSeconds wall_before() const { return to_wall(begin, *offset_before); }
  bool after_gap() const { return offset_before && *offset_before < offset; }
  bool after_overlap() const { return offset_before && *offset_before > offset; }
};

Period period_at(const date::time_zone& tz, Instant t) {
  const date::sys_info info = tz.get_info(t);
  Period p{info.begin, info.end, info.offset, std::nullopt};
  if (info.begin > kEarliest) p.offset_before = tz.get_info(info.begin - seconds{1}).offset;
  return p;
}

// Fixed-time schedules: does a skipped wall time match? It then fires at the transition.
bool skipped_time_fires(const Cron::Fields& f, const Period& p) {
  return p.after_gap() && next_match(f, p.wall_before(), p.wall_begin()).has_value();
}

}  // namespace

Schedule::Schedule(Cron cron, std::string zone, const void* tz)
    : cron_(std::move(cron)), zone_(std::move(zone)), tz_(tz) {}

Schedule Schedule::parse(std::string_view expression, std::string_view zone) {
  Cron cron = Cron::parse(expression);
  const date::time_zone& tz = locate_zone(zone);
  return Schedule(std::move(cron), std::string(zone), &tz);
}

std::optional<Instant> Schedule::next_after(Instant after) const {
  const date::time_zone& tz = zone_of(tz_);
  const Cron::Fields& f = cron_.fields();
  const bool fixed = !cron_.is_wildcard();
  const Instant limit = after + kHorizon;
  for (Instant t = after + seconds{1}; t < limit;) {
    const Period p = period_at(tz, t);
    const Instant end = std::min(p.end, limit);
    LocalSeconds from = to_wall(t, p.offset);
    if (fixed) {
      // The transition instant is the earliest in the period, so it comes first.
      if (t == p.begin && skipped_time_fires(f, p)) return p.begin;
      // Repeated wall times fired at their first occurrence, in the period before.
      if (p.after_overlap()) from = std::max(from, p.wall_before());
    }
    if (auto wall = next_match(f, from, to_wall(end, p.offset))) return to_instant(*wall, p.offset);
    t = end;
  }
  return std::nullopt;
}

std::optional<Instant> Schedule::previous_before(Instant before) const {
  const date::time_zone& tz = zone_of(tz_);
  const Cron::Fields& f = cron_.fields();
  const bool fixed = !cron_.is_wildcard();
  const Instant lower = before - kHorizon;
  for (Instant t = before - seconds{1}; t >= lower;) {
    const Period p = period_at(tz, t);
    LocalSeconds lowest = to_wall(std::max(p.begin, lower), p.offset);
    if (fixed && p.after_overlap()) lowest = std::max(lowest, p.wall_before());
    if (auto wall = previous_match(f, to_wall(t, p.offset), lowest))
      return to_instant(*wall, p.offset);
    // The transition instant is the earliest in the period, so it comes last.
    if (fixed && p.begin >= lower && skipped_time_fires(f, p)) return p.begin;
    t = p.begin - seconds{1};
  }
  return std::nullopt;
}

std::vector<Instant> Schedule::next_n(Instant after, size_t count) const {
  std::vector<Instant> out;
  out.reserve(std::min<size_t>(count, 1024));
  while (out.size() < count) {
    auto t = next_after(after);
    if (!t) break;
    out.push_back(*t);
    after = *t;
  }
  return out;
}

}  // namespace jobhost::schedule
