// Cron expressions and their fire instants in time zones (schedule/cron.hpp). Every expected
// instant is written out by hand in UTC; the 2026 transitions they rest on are (from zdump):
//   America/New_York   2026-03-08T07:00Z: 01:59:59 EST -> 03:00 EDT
//                      2026-11-01T06:00Z: 01:59:59 EDT -> 01:00 EST
//   Europe/Berlin      2026-03-29T01:00Z: 01:59:59 CET -> 03:00 CEST
//                      2026-10-25T01:00Z: 02:59:59 CEST -> 02:00 CET
//   Australia/Lord_Howe 2026-04-04T15:00Z: 01:59:59 +11 -> 01:30 +1030
//                      2026-10-03T15:30Z: 01:59:59 +1030 -> 02:30 +11
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "schedule/cron.hpp"

using namespace jobhost::schedule;
using Times = std::vector<std::string>;

namespace {

Instant at(const std::string& iso) {
  auto t = parse_instant(iso);
  REQUIRE(t.has_value());
  return *t;
}

// The next `n` fire instants of `expr` in `zone` strictly after `from`, as UTC text.
Times next(const char* expr, const char* zone, const std::string& from, size_t n) {
  Times out;
  for (auto t : Schedule::parse(expr, zone).next_n(at(from), n)) out.push_back(format_instant(t));
  return out;
}

std::string previous(const char* expr, const char* zone, const std::string& before) {
  auto t = Schedule::parse(expr, zone).previous_before(at(before));
  return t ? format_instant(*t) : "none";
}

std::string parse_error(const char* expr) {
  try {
    Cron::parse(expr);
    return "";
  } catch (const ScheduleError& e) {
    return e.what();
  }
}

bool fires(const Cron& c, unsigned month, unsigned day, unsigned weekday, unsigned hour,
           unsigned minute) {
  return c.matches(2026, month, day, weekday, hour, minute);
}

}  // namespace

TEST_CASE("cron: lists, ranges, steps, names and Sunday as 0 or 7", "[schedule][cron]") {
  auto quarter = Cron::parse("*/15 * * * *");
  CHECK(fires(quarter, 1, 1, 4, 0, 0));
  CHECK(fires(quarter, 1, 1, 4, 13, 45));
  CHECK_FALSE(fires(quarter, 1, 1, 4, 13, 5));

  auto stepped = Cron::parse("1-30/5,45 * * * *");
  for (unsigned m : {1u, 6u, 11u, 16u, 21u, 26u, 45u}) CHECK(fires(stepped, 6, 1, 1, 0, m));
  for (unsigned m : {0u, 2u, 30u, 31u, 44u}) CHECK_FALSE(fires(stepped, 6, 1, 1, 0, m));

  auto from_five = Cron::parse("5/20 * * * *");  // 5 through 59, every 20
  CHECK(fires(from_five, 6, 1, 1, 0, 5));
  CHECK(fires(from_five, 6, 1, 1, 0, 25));
  CHECK(fires(from_five, 6, 1, 1, 0, 45));
  CHECK_FALSE(fires(from_five, 6, 1, 1, 0, 0));

  auto office = Cron::parse("0 9-17 * JAN,jul Mon-FRI");
  CHECK(fires(office, 1, 5, 1, 9, 0));
  CHECK(fires(office, 7, 3, 5, 17, 0));
  CHECK_FALSE(fires(office, 1, 4, 0, 9, 0));  // Sunday
  CHECK_FALSE(fires(office, 2, 2, 1, 9, 0));  // February
  CHECK_FALSE(fires(office, 1, 5, 1, 18, 0));

  for (const char* sunday : {"0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "0 0 * * 6-7"}) {
    INFO(sunday);
    CHECK(fires(Cron::parse(sunday), 3, 1, 0, 0, 0));
  }
  auto weekend = Cron::parse("0 0 * * fri-sun");  // Sunday ends a range as 7
  CHECK(fires(weekend, 3, 6, 5, 0, 0));
  CHECK(fires(weekend, 3, 7, 6, 0, 0));
  CHECK(fires(weekend, 3, 8, 0, 0, 0));
  CHECK_FALSE(fires(weekend, 3, 9, 1, 0, 0));
}

TEST_CASE("cron: wildcard schedules are those whose minute or hour field starts with a star",
          "[schedule][cron]") {
  for (const char* e : {"* * * * *", "*/15 * * * *", "0 * * * *", "30 */2 * * *", "@hourly"}) {
    INFO(e);
    CHECK(Cron::parse(e).is_wildcard());
  }
  for (const char* e : {"30 2 * * *", "0,30 2,3 * * *", "15 1-23/2 * * *", "@daily", "0 0 * * *"}) {
    INFO(e);
    CHECK_FALSE(Cron::parse(e).is_wildcard());
  }
  CHECK(Cron::parse("  0   6 * *  mon-fri ").expression() == "0 6 * * mon-fri");
  CHECK(Cron::parse("@weekly").expression() == "@weekly");
}

TEST_CASE("cron: day-of-month and day-of-week are ORed when both are restricted (Vixie)",
          "[schedule][cron]") {
  // The 13th of any month, and every Friday. March 2026 starts on a Sunday, April on a
  // Wednesday; 13 March is a Friday, 13 April a Monday.
  CHECK(next("0 0 13 * fri", "UTC", "2026-03-01T00:00:00Z", 7) ==
        Times{"2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z",
              "2026-03-27T00:00:00Z", "2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z",
              "2026-04-13T00:00:00Z"});
  // A day field that starts with '*' does not count as restricted: the fields are ANDed, so
  // these are the 1st, 11th, 21st and 31st that fall on a Friday.
  CHECK(next("0 0 */10 * fri", "UTC", "2026-03-01T00:00:00Z", 4) ==
        Times{"2026-05-01T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-21T00:00:00Z",
              "2026-09-11T00:00:00Z"});
  auto c = Cron::parse("0 0 1 * mon");
  CHECK(fires(c, 4, 1, 3, 0, 0));  // the 1st, a Wednesday
  CHECK(fires(c, 4, 6, 1, 0, 0));  // a Monday
  CHECK_FALSE(fires(c, 4, 7, 2, 0, 0));
}

TEST_CASE("cron: macros", "[schedule][cron]") {
  const std::string from = "2026-03-01T00:00:00Z";  // a Sunday, midnight
  CHECK(next("@hourly", "UTC", from, 2) == Times{"2026-03-01T01:00:00Z", "2026-03-01T02:00:00Z"});
  CHECK(next("@daily", "UTC", from, 2) == Times{"2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"});
  CHECK(next("@midnight", "UTC", from, 1) == Times{"2026-03-02T00:00:00Z"});
  CHECK(next("@weekly", "UTC", from, 2) == Times{"2026-03-08T00:00:00Z", "2026-03-15T00:00:00Z"});
  CHECK(next("@monthly", "UTC", from, 2) == Times{"2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"});
  CHECK(next("@yearly", "UTC", from, 2) == Times{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"});
  CHECK(next("@annually", "UTC", from, 1) == Times{"2027-01-01T00:00:00Z"});
  // @daily in a zone is midnight there: Berlin is UTC+1 in March before the 29th.
  CHECK(next("@daily", "Europe/Berlin", from, 1) == Times{"2026-03-01T23:00:00Z"});
}

TEST_CASE("cron: every parse error names the field and what is wrong", "[schedule][cron]") {
  const std::pair<const char*, const char*> cases[] = {
      {"60 * * * *", "cron: minute field '60': 60 is out of range 0-59"},
      {"0 25 * * *", "cron: hour field '25': 25 is out of range 0-23"},
      {"0 0 0 * *", "cron: day-of-month field '0': 0 is out of range 1-31"},
      {"0 0 * 13 *", "cron: month field '13': 13 is out of range 1-12"},
      {"0 0 * * 8", "cron: day-of-week field '8': 8 is out of range 0-7"},
      {"0 0 * sept *", "cron: month field 'sept': unknown name 'sept' (did you mean 'sep'?)"},
      {"0 0 * jna *", "cron: month field 'jna': unknown name 'jna'"},
      {"0 0 * * thr", "cron: day-of-week field 'thr': unknown name 'thr' (did you mean 'thu'?)"},
      {"0 0 * * 1#2", "cron: day-of-week field '1#2': '1#2' is not a number or a name"},
      {"0 0 L * *", "cron: day-of-month field 'L': 'L' is not a number"},
      {"a * * * *", "cron: minute field 'a': 'a' is not a number"},
      {"0 0 * * fri-mon",
       "cron: day-of-week field 'fri-mon': range fri-mon runs backwards (write it as two "
       "ranges, e.g. 5-7,0-1)"},
      {"0 22-2 * * *",
       "cron: hour field '22-2': range 22-2 runs backwards (write it as two ranges, e.g. "
       "22-23,0-2)"},
      {"*/0 * * * *", "cron: minute field '*/0': step 0 is out of range 1-60"},
      {"0 */25 * * *", "cron: hour field '*/25': step 25 is out of range 1-24"},
      {"*/x * * * *", "cron: minute field '*/x': step 'x' is not a number"},
      {"*/5/2 * * * *", "cron: minute field '*/5/2': '*/5/2' has more than one '/'"},
      {"/5 * * * *", "cron: minute field '/5': '/5' needs '*' or a range before '/'"},
      {"1,,2 * * * *", "cron: minute field '1,,2': empty item in the list"},
      {"5- * * * *", "cron: minute field '5-': a range needs a value on both sides of '-'"},
      {"* * * *",
       "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4 in "
       "'* * * *'"},
      {"0 0 * * * *",
       "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 6 in "
       "'0 0 * * * *' (a seconds field is not supported)"},
      {"@hourli", "cron: unknown macro '@hourli' (did you mean '@hourly'?)"},
      {"", "cron: the expression is empty (write e.g. \"0 6 * * *\" or \"@daily\")"},
  };
  for (auto& [expr, message] : cases) {
    INFO(expr);
    CHECK(parse_error(expr) == message);
  }
  CHECK_THROWS_AS(Schedule::parse("0 25 * * *", "UTC"), ScheduleError);
}

TEST_CASE("schedule: next_n is strictly after the start and rolls over months and years",
          "[schedule]") {
  CHECK(next("*/15 * * * *", "UTC", "2026-12-31T23:30:00Z", 3) ==
        Times{"2026-12-31T23:45:00Z", "2027-01-01T00:00:00Z", "2027-01-01T00:15:00Z"});
  CHECK(next("*/15 * * * *", "UTC", "2026-12-31T23:37:30Z", 1) == Times{"2026-12-31T23:45:00Z"});
  CHECK(next("0 12 31 * *", "UTC", "2026-01-31T12:00:00Z", 3) ==
        Times{"2026-03-31T12:00:00Z", "2026-05-31T12:00:00Z", "2026-07-31T12:00:00Z"});
  CHECK(next("0 12 29 feb *", "UTC", "2026-01-01T00:00:00Z", 2) ==
        Times{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"});
  CHECK(next("0 0 * * *", "UTC", "2026-01-01T00:00:00Z", 0).empty());
  // Any expression's next fire comes from a bounded walk over days: a year of minutes is
  // a single step per fire.
  CHECK(next("* * * * *", "UTC", "2026-06-01T10:00:59Z", 2) ==
        Times{"2026-06-01T10:01:00Z", "2026-06-01T10:02:00Z"});
}

TEST_CASE("schedule: an expression that never matches has no next or previous fire", "[schedule]") {
  for (const char* never : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 feb *"}) {
    INFO(never);
    auto s = Schedule::parse(never, "Europe/Berlin");
    CHECK_FALSE(s.cron().ever_matches());
    CHECK_FALSE(s.next_after(at("2026-01-01T00:00:00Z")).has_value());
    CHECK_FALSE(s.previous_before(at("2026-01-01T00:00:00Z")).has_value());
    CHECK(s.next_n(at("2026-01-01T00:00:00Z"), 3).empty());
  }
  CHECK(Cron::parse("0 0 29 2 *").ever_matches());
  CHECK(Cron::parse("0 0 31 2 mon").ever_matches());  // Vixie: any Monday in February
}

TEST_CASE("schedule: previous_before is strictly before", "[schedule]") {
  CHECK(previous("*/15 * * * *", "UTC", "2026-06-01T10:15:00Z") == "2026-06-01T10:00:00Z");
  CHECK(previous("*/15 * * * *", "UTC", "2026-06-01T10:15:01Z") == "2026-06-01T10:15:00Z");
  CHECK(previous("0 12 31 * *", "UTC", "2026-05-01T00:00:00Z") == "2026-03-31T12:00:00Z");
  CHECK(previous("0 0 1 1 *", "UTC", "2026-01-01T00:00:00Z") == "2025-01-01T00:00:00Z");
  CHECK(previous("0 12 29 feb *", "UTC", "2026-01-01T00:00:00Z") == "2024-02-29T12:00:00Z");
}

TEST_CASE("schedule: New York spring forward, wildcard schedules skip the missing hour",
          "[schedule][dst]") {
  // 02:00-02:59 local does not exist on 8 March 2026.
  CHECK(next("*/30 * * * *", "America/New_York", "2026-03-08T05:00:00Z", 6) ==
        Times{"2026-03-08T05:30:00Z", "2026-03-08T06:00:00Z", "2026-03-08T06:30:00Z",
              "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z", "2026-03-08T08:00:00Z"});
  CHECK(next("30 * * * *", "America/New_York", "2026-03-08T05:00:00Z", 4) ==
        Times{"2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z",
              "2026-03-08T08:30:00Z"});
}

TEST_CASE("schedule: New York spring forward, fixed times in the gap fire at the transition",
          "[schedule][dst]") {
  CHECK(next("30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3) ==
        Times{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"});
  CHECK(next("0 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3) ==
        Times{"2026-03-07T07:00:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z"});
  CHECK(next("30 1 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3) ==
        Times{"2026-03-07T06:30:00Z", "2026-03-08T06:30:00Z", "2026-03-09T05:30:00Z"});
  // 02:00, 02:30 and 03:00 all land on the transition instant: one fire there.
  CHECK(next("0,30 2,3 * * *", "America/New_York", "2026-03-07T00:00:00Z", 10) ==
        Times{"2026-03-07T07:00:00Z", "2026-03-07T07:30:00Z", "2026-03-07T08:00:00Z",
              "2026-03-07T08:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z",
              "2026-03-09T06:00:00Z", "2026-03-09T06:30:00Z", "2026-03-09T07:00:00Z",
              "2026-03-09T07:30:00Z"});
  // Searching from just before and just at the transition.
  CHECK(next("30 2 * * *", "America/New_York", "2026-03-08T06:59:59Z", 1) ==
        Times{"2026-03-08T07:00:00Z"});
  CHECK(next("30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z", 1) ==
        Times{"2026-03-09T06:30:00Z"});
  CHECK(previous("30 2 * * *", "America/New_York", "2026-03-08T07:00:01Z") ==
        "2026-03-08T07:00:00Z");
  CHECK(previous("30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z") ==
        "2026-03-07T07:30:00Z");
  CHECK(previous("30 2 * * *", "America/New_York", "2026-03-09T12:00:00Z") ==
        "2026-03-09T06:30:00Z");
}

TEST_CASE("schedule: New York fall back, wildcard schedules fire in both 01:00 hours",
          "[schedule][dst]") {
  // 01:00-01:59 local happens twice on 1 November 2026: at 05:xxZ (EDT), then 06:xxZ (EST).
  CHECK(next("*/30 * * * *", "America/New_York", "2026-11-01T04:00:00Z", 7) ==
        Times{"2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z",
              "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z",
              "2026-11-01T07:30:00Z"});
  CHECK(next("30 * * * *", "America/New_York", "2026-11-01T04:00:00Z", 4) ==
        Times{"2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z",
              "2026-11-01T07:30:00Z"});
  CHECK(previous("30 * * * *", "America/New_York", "2026-11-01T07:00:00Z") ==
        "2026-11-01T06:30:00Z");
}

TEST_CASE("schedule: New York fall back, fixed times fire once at the first occurrence",
          "[schedule][dst]") {
  CHECK(next("30 1 * * *", "America/New_York", "2026-10-31T00:00:00Z", 3) ==
        Times{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"});
  CHECK(next("0,30 1 * * *", "America/New_York", "2026-11-01T00:00:00Z", 3) ==
        Times{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:00:00Z"});
  CHECK(next("30 2 * * *", "America/New_York", "2026-10-31T00:00:00Z", 3) ==
        Times{"2026-10-31T06:30:00Z", "2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"});
  CHECK(next("0 2 * * *", "America/New_York", "2026-10-31T00:00:00Z", 3) ==
        Times{"2026-10-31T06:00:00Z", "2026-11-01T07:00:00Z", "2026-11-02T07:00:00Z"});
  // From inside the repeated hour, the second 01:30 is not a fire time.
  CHECK(next("30 1 * * *", "America/New_York", "2026-11-01T06:00:00Z", 1) ==
        Times{"2026-11-02T06:30:00Z"});
  CHECK(previous("30 1 * * *", "America/New_York", "2026-11-01T07:00:00Z") ==
        "2026-11-01T05:30:00Z");
}

TEST_CASE("schedule: Berlin spring forward on 29 March 2026", "[schedule][dst]") {
  // 02:00-02:59 local does not exist; 03:00 CEST is 01:00Z.
  CHECK(next("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 3) ==
        Times{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"});
  CHECK(next("30 * * * *", "Europe/Berlin", "2026-03-28T23:00:00Z", 4) ==
        Times{"2026-03-28T23:30:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z",
              "2026-03-29T02:30:00Z"});
  CHECK(next("30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3) ==
        Times{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"});
  CHECK(next("0 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3) ==
        Times{"2026-03-28T01:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"});
  CHECK(next("30 1 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 3) ==
        Times{"2026-03-28T00:30:00Z", "2026-03-29T00:30:00Z", "2026-03-29T23:30:00Z"});
  CHECK(next("0,30 2,3 * * *", "Europe/Berlin", "2026-03-29T00:00:00Z", 4) ==
        Times{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:00:00Z",
              "2026-03-30T00:30:00Z"});
  CHECK(previous("0,30 2,3 * * *", "Europe/Berlin", "2026-03-29T01:30:00Z") ==
        "2026-03-29T01:00:00Z");
  CHECK(previous("0,30 2,3 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z") ==
        "2026-03-28T02:30:00Z");
}

TEST_CASE("schedule: Berlin fall back on 25 October 2026", "[schedule][dst]") {
  // 02:00-02:59 local happens at 00:xxZ (CEST), then at 01:xxZ (CET).
  CHECK(next("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:00:00Z", 6) ==
        Times{"2026-10-24T23:30:00Z", "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z",
              "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z"});
  CHECK(next("30 * * * *", "Europe/Berlin", "2026-10-24T23:00:00Z", 4) ==
        Times{"2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z",
              "2026-10-25T02:30:00Z"});
  CHECK(next("30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", 3) ==
        Times{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});
  CHECK(next("0 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 3) ==
        Times{"2026-10-24T00:00:00Z", "2026-10-25T00:00:00Z", "2026-10-26T01:00:00Z"});
  CHECK(next("30 1 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", 3) ==
        Times{"2026-10-24T23:30:00Z", "2026-10-26T00:30:00Z", "2026-10-27T00:30:00Z"});
}

TEST_CASE("schedule: Lord Howe's half-hour shifts", "[schedule][dst]") {
  // 5 April 2026: 01:30-01:59 local happens twice, at 14:30Z (+11) and 15:00Z (+10:30).
  CHECK(next("*/30 * * * *", "Australia/Lord_Howe", "2026-04-04T13:00:00Z", 6) ==
        Times{"2026-04-04T13:30:00Z", "2026-04-04T14:00:00Z", "2026-04-04T14:30:00Z",
              "2026-04-04T15:00:00Z", "2026-04-04T15:30:00Z", "2026-04-04T16:00:00Z"});
  CHECK(next("30 * * * *", "Australia/Lord_Howe", "2026-04-04T13:00:00Z", 5) ==
        Times{"2026-04-04T13:30:00Z", "2026-04-04T14:30:00Z", "2026-04-04T15:00:00Z",
              "2026-04-04T16:00:00Z", "2026-04-04T17:00:00Z"});
  CHECK(next("30 1 * * *", "Australia/Lord_Howe", "2026-04-03T00:00:00Z", 3) ==
        Times{"2026-04-03T14:30:00Z", "2026-04-04T14:30:00Z", "2026-04-05T15:00:00Z"});
  CHECK(next("0 2 * * *", "Australia/Lord_Howe", "2026-04-03T00:00:00Z", 3) ==
        Times{"2026-04-03T15:00:00Z", "2026-04-04T15:30:00Z", "2026-04-05T15:30:00Z"});
  // 4 October 2026: 02:00-02:29 local does not exist; 02:30 (+11) is 15:30Z.
  CHECK(next("*/30 * * * *", "Australia/Lord_Howe", "2026-10-03T13:30:00Z", 5) ==
        Times{"2026-10-03T14:00:00Z", "2026-10-03T14:30:00Z", "2026-10-03T15:00:00Z",
              "2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z"});
  CHECK(next("30 * * * *", "Australia/Lord_Howe", "2026-10-03T13:30:00Z", 4) ==
        Times{"2026-10-03T14:00:00Z", "2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z",
              "2026-10-03T16:30:00Z"});
  CHECK(next("0 2 * * *", "Australia/Lord_Howe", "2026-10-02T00:00:00Z", 3) ==
        Times{"2026-10-02T15:30:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:00:00Z"});
  CHECK(next("15 2 * * *", "Australia/Lord_Howe", "2026-10-02T00:00:00Z", 3) ==
        Times{"2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"});
  CHECK(next("30 2 * * *", "Australia/Lord_Howe", "2026-10-02T00:00:00Z", 3) ==
        Times{"2026-10-02T16:00:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:30:00Z"});
  // 02:00 (skipped) and 02:30 (the transition instant) fire once together.
  CHECK(next("0,30 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 3) ==
        Times{"2026-10-03T15:30:00Z", "2026-10-04T15:00:00Z", "2026-10-04T15:30:00Z"});
}

TEST_CASE("schedule: instants as text", "[schedule]") {
  // 1772953200 = date -u -d 2026-03-08T07:00:00Z +%s
  CHECK(at("2026-03-08T07:00:00Z").time_since_epoch().count() == 1772953200);
  CHECK(format_instant(Instant{std::chrono::seconds{1772953200}}) == "2026-03-08T07:00:00Z");
  CHECK(format_instant(Instant{}) == "1970-01-01T00:00:00Z");
  CHECK(format_instant(at("2026-12-01T14:00:00+01:00")) == "2026-12-01T13:00:00Z");
  CHECK(format_instant(at("2026-12-01T08:30:00-04:30")) == "2026-12-01T13:00:00Z");
  CHECK(format_instant(at("2026-12-01")) == "2026-12-01T00:00:00Z");
  CHECK(format_instant(at("2026-12-01 13:00:00.999Z")) == "2026-12-01T13:00:00Z");
  CHECK(format_instant(at("2026-12-01T13:00Z")) == "2026-12-01T13:00:00Z");
  for (const char* bad :
       {"", "2026-02-30", "2026-12-01T13:00:00", "2026-12-01T24:00:00Z", "2026-12-01T13:00:00+1",
        "2026-12-01Z", "yesterday", "2026-12-01T13:00:00Z junk", "26-12-01"}) {
    INFO(bad);
    CHECK_FALSE(parse_instant(bad).has_value());
  }
}

TEST_CASE("schedule: unknown zones get a did-you-mean", "[schedule]") {
  CHECK_NOTHROW(check_zone("UTC"));
  CHECK_NOTHROW(check_zone("Australia/Lord_Howe"));
  try {
    Schedule::parse("0 2 * * *", "Europe/Berln");
    FAIL("no error");
  } catch (const ScheduleError& e) {
    CHECK(std::string(e.what()) ==
          "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)");
  }
  CHECK(closest_zone("europe/berlin") == "Europe/Berlin");
  CHECK(closest_zone("New York") == "America/New_York");
  CHECK(closest_zone("Asia/Berlin") == "Europe/Berlin");
  CHECK(closest_zone("America/Nwe_York") == "America/New_York");
  CHECK(closest_zone("Qwxz/Plmk") == "");
  CHECK_THROWS_WITH(check_zone(""), Catch::Contains("the time zone is empty"));
  CHECK_THROWS_WITH(check_zone("Mars/Olympus"), "unknown time zone 'Mars/Olympus'");
}
