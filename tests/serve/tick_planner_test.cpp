// plan_ticks: catch-up, the newest missed tick without catch-up, start/end dates, the first
// start of a pipeline, and the limit — with instants written out by hand.
#include <catch2/catch.hpp>

#include "schedule/cron.hpp"
#include "serve/tick_planner.hpp"

using namespace jobhost;
using schedule::Instant;

namespace {

Instant at(const char* iso) { return *schedule::parse_instant(iso); }

std::vector<std::string> texts(const std::vector<Instant>& v) {
  std::vector<std::string> out;
  for (auto t : v) out.push_back(schedule::format_instant(t));
  return out;
}

serve::TickInput hourly_input(const schedule::Schedule& s) {
  serve::TickInput in;
  in.schedule = &s;
  in.now = at("2026-12-01T10:30:00Z");
  in.watched_since = at("2026-12-01T10:00:30Z");
  return in;
}

}  // namespace

TEST_CASE("tick planner: catch-up runs every missed tick oldest first") {
  auto s = schedule::Schedule::parse("0 * * * *");
  auto in = hourly_input(s);
  in.catchup = true;
  in.last_tick = at("2026-12-01T07:00:00Z");
  auto plan = serve::plan_ticks(in);
  CHECK(texts(plan.due) == std::vector<std::string>{"2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z",
                                                    "2026-12-01T10:00:00Z"});
  REQUIRE(plan.next_tick);
  CHECK(schedule::format_instant(*plan.next_tick) == "2026-12-01T11:00:00Z");
  in.limit = 2;
  CHECK(serve::plan_ticks(in).due.size() == 2);
  in.limit = 0;
  CHECK(serve::plan_ticks(in).due.empty());
}

TEST_CASE("tick planner: without catch-up only the newest missed tick runs") {
  auto s = schedule::Schedule::parse("0 * * * *");
  auto in = hourly_input(s);
  in.last_tick = at("2026-12-01T07:00:00Z");
  CHECK(texts(serve::plan_ticks(in).due) == std::vector<std::string>{"2026-12-01T10:00:00Z"});
  in.last_tick = at("2026-12-01T10:00:00Z");  // already scheduled
  CHECK(serve::plan_ticks(in).due.empty());
}

TEST_CASE("tick planner: a new pipeline waits for its first tick unless it catches up from start_date") {
  auto s = schedule::Schedule::parse("0 * * * *");
  auto in = hourly_input(s);  // watched since 10:00:30, now 10:30
  CHECK(serve::plan_ticks(in).due.empty());
  in.now = at("2026-12-01T11:00:00Z");
  CHECK(texts(serve::plan_ticks(in).due) == std::vector<std::string>{"2026-12-01T11:00:00Z"});
  in.now = at("2026-12-01T10:30:00Z");
  in.catchup = true;
  in.start_date = at("2026-12-01T08:00:00Z");
  CHECK(texts(serve::plan_ticks(in).due) == std::vector<std::string>{"2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z",
                                                                      "2026-12-01T10:00:00Z"});
}

TEST_CASE("tick planner: nothing before start_date or after end_date") {
  auto s = schedule::Schedule::parse("0 * * * *");
  auto in = hourly_input(s);
  in.catchup = true;
  in.last_tick = at("2026-12-01T05:00:00Z");
  in.start_date = at("2026-12-01T07:30:00Z");
  in.end_date = at("2026-12-01T09:00:00Z");
  auto plan = serve::plan_ticks(in);
  CHECK(texts(plan.due) == std::vector<std::string>{"2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z"});
  CHECK_FALSE(plan.next_tick);  // the schedule is over
  in.catchup = false;
  CHECK(texts(serve::plan_ticks(in).due) == std::vector<std::string>{"2026-12-01T09:00:00Z"});
}

TEST_CASE("tick planner: the next tick respects the zone") {
  auto s = schedule::Schedule::parse("0 6 * * *", "Europe/Berlin");
  auto in = hourly_input(s);
  auto plan = serve::plan_ticks(in);
  REQUIRE(plan.next_tick);
  CHECK(schedule::format_instant(*plan.next_tick) == "2026-12-02T05:00:00Z");  // 06:00 CET
}

TEST_CASE("tick planner: a tick within the horizon is due ahead, and the next one follows it") {
  auto s = schedule::Schedule::parse("* * * * *");
  serve::TickInput in;
  in.schedule = &s;
  in.watched_since = at("2026-12-01T10:00:30Z");
  in.last_tick = at("2026-12-01T10:30:00Z");
  in.now = at("2026-12-01T10:30:58Z");
  CHECK(serve::plan_ticks(in).due.empty());  // no horizon: 10:31 is not due yet
  in.horizon = at("2026-12-01T10:31:00Z");
  auto plan = serve::plan_ticks(in);
  CHECK(texts(plan.due) == std::vector<std::string>{"2026-12-01T10:31:00Z"});
  REQUIRE(plan.next_tick);
  CHECK(schedule::format_instant(*plan.next_tick) == "2026-12-01T10:32:00Z");
  // Once recorded (the last tick lies ahead of now), it is not due again, and the next tick
  // to schedule is the one after it.
  in.last_tick = at("2026-12-01T10:31:00Z");
  plan = serve::plan_ticks(in);
  CHECK(plan.due.empty());
  REQUIRE(plan.next_tick);
  CHECK(schedule::format_instant(*plan.next_tick) == "2026-12-01T10:32:00Z");
  // A horizon before now changes nothing.
  in.horizon = at("2026-12-01T10:00:00Z");
  in.last_tick = at("2026-12-01T10:30:00Z");
  CHECK(serve::plan_ticks(in).due.empty());
}
