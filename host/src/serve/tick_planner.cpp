#include "serve/tick_planner.hpp"

namespace jobhost::serve {

using schedule::Instant;

namespace {

bool in_range(const TickInput& in, Instant t) {
  return (!in.start_date || t >= *in.start_date) && (!in.end_date || t <= *in.end_date);
}

// The first tick strictly after `after` that is not before start_date.
std::optional<Instant> first_after(const TickInput& in, Instant after) {
  if (in.start_date && after < *in.start_date) after = *in.start_date - std::chrono::seconds(1);
  return in.schedule->next_after(after);
}

Instant due_until(const TickInput& in) { return in.horizon ? std::max(*in.horizon, in.now) : in.now; }

// Ticks strictly after this instant may be due.
Instant due_after(const TickInput& in) {
  if (in.last_tick) return *in.last_tick;
  if (in.catchup && in.start_date) return *in.start_date - std::chrono::seconds(1);
  return in.watched_since;
}

// catchup = false: the newest tick at or before now (and end_date), if there is one to run.
std::optional<Instant> newest_due(const TickInput& in) {
  Instant until = due_until(in);
  if (in.end_date && *in.end_date < until) until = *in.end_date;
  auto t = in.schedule->previous_before(until + std::chrono::seconds(1));
  if (t && *t > due_after(in) && in_range(in, *t)) return t;
  return std::nullopt;
}

// catchup = true: every due tick, oldest first.
std::vector<Instant> all_due(const TickInput& in) {
  std::vector<Instant> due;
  for (auto t = first_after(in, due_after(in)); t && *t <= due_until(in) && in_range(in, *t) && due.size() < in.limit;
       t = in.schedule->next_after(*t))
    due.push_back(*t);
  return due;
}

}  // namespace

TickPlan plan_ticks(const TickInput& in) {
  TickPlan plan;
  if (in.catchup) {
    plan.due = all_due(in);
  } else if (auto t = newest_due(in)) {
    plan.due.push_back(*t);
  }
  // The next tick to schedule: after now, after the due ones (some may lie ahead, within
  // the horizon) and after the last one scheduled (which may lie ahead too).
  Instant after = in.now;
  if (!plan.due.empty()) after = std::max(after, plan.due.back());
  if (in.last_tick) after = std::max(after, *in.last_tick);
  auto next = first_after(in, after);
  if (next && in_range(in, *next)) plan.next_tick = next;
  return plan;
}

}  // namespace jobhost::serve
