// Which ticks of a pipeline's schedule are due: pure logic, so catch-up, start/end dates and
// the first start are tested without a clock.
//
//   - catchup = true: every tick after the last scheduled one (or from start_date) up to now,
//     oldest first; the daemon starts as many as max_active_runs allows and the rest later.
//   - catchup = false: only the newest tick due since the last scheduled one (missed ticks
//     in between are skipped).
//   - a pipeline never scheduled before starts from start_date with catchup, else from the
//     moment the daemon began watching it (its first tick after that).
//   - no tick before start_date or after end_date.
#pragma once

#include <optional>
#include <vector>

#include "schedule/cron.hpp"

namespace jobhost::serve {

struct TickInput {
  const schedule::Schedule* schedule = nullptr;
  std::optional<schedule::Instant> start_date, end_date;
  bool catchup = false;
  std::optional<schedule::Instant> last_tick;  // the last tick scheduled (from the store)
  schedule::Instant watched_since;              // when the daemon began watching the pipeline
  schedule::Instant now;
  // Ticks up to this instant are due (the daemon prepares runs a little ahead of their tick,
  // which they then wait for); unset: now. next_tick stays the first tick after now.
  std::optional<schedule::Instant> horizon;
  size_t limit = 1000;  // at most this many due ticks returned
};

struct TickPlan {
  std::vector<schedule::Instant> due;          // oldest first
  // The next tick to schedule, the first after now, the due ones and the last scheduled one
  // (none: the schedule is over).
  std::optional<schedule::Instant> next_tick;
};

TickPlan plan_ticks(const TickInput& in);

}  // namespace jobhost::serve
