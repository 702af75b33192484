// The scheduling keys of [pipeline] and [pipeline.trigger] (config/pipeline_schedule.hpp).
#include <catch2/catch.hpp>

#include "config/diagnostics.hpp"
#include "config/pipeline_loader.hpp"

using namespace jobhost;

namespace {

const char* kJobs = "\n[[jobs]]\nname = \"a\"\nuses = \"utilities.noop\"\n";

PipelineSpec load(const std::string& pipeline_table) {
  return load_pipeline_text("[pipeline]\nname = \"p\"\n" + pipeline_table + kJobs, "p.toml");
}

// The loader's diagnostics for a [pipeline] table body, formatted; "" when it loads.
std::string errors_of(const std::string& pipeline_table) {
  try {
    load(pipeline_table);
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

std::string utc(std::optional<schedule::Instant> t) {
  return t ? schedule::format_instant(*t) : "none";
}

}  // namespace

TEST_CASE("pipeline schedule: every key read", "[config][schedule]") {
  auto spec = load(R"(schedule = "30 2 * * *"
timezone = "America/New_York"
start_date = 2026-01-01
end_date = 2026-12-31T23:59:59Z
catchup = true
max_active_runs = 3
[pipeline.trigger]
after = ["upstream", "other-one"]
files = ["in/*.csv"]
settle = "1m"
)");
  REQUIRE(spec.schedule.has_value());
  const auto& s = *spec.schedule;
  CHECK(s.expression == "30 2 * * *");
  CHECK(s.timezone == "America/New_York");
  REQUIRE(s.parsed != nullptr);
  // Its next fire after midnight UTC on 8 March 2026 is the spring-forward transition.
  CHECK(utc(s.parsed->next_after(*schedule::parse_instant("2026-03-08T00:00:00Z"))) ==
        "2026-03-08T07:00:00Z");
  CHECK(utc(s.start_date) == "2026-01-01T00:00:00Z");
  CHECK(utc(s.end_date) == "2026-12-31T23:59:59Z");
  CHECK(s.catchup);
  CHECK(s.max_active_runs == 3);
  REQUIRE(s.trigger.has_value());
  CHECK(s.trigger->after == std::vector<std::string>{"upstream", "other-one"});
  CHECK(s.trigger->files == std::vector<std::string>{"in/*.csv"});
  CHECK(s.trigger->settle == Millis(60000));
  CHECK(s.trigger->line == 9);
}

TEST_CASE("pipeline schedule: defaults, none, and dates in every form", "[config][schedule]") {
  CHECK_FALSE(load("").schedule.has_value());

  auto none = load("schedule = \"none\"\n[pipeline.trigger]\nafter = [\"up\"]\n");
  REQUIRE(none.schedule.has_value());
  CHECK(none.schedule->expression == "none");
  CHECK(none.schedule->parsed == nullptr);
  CHECK(none.schedule->timezone == "UTC");
  CHECK_FALSE(none.schedule->catchup);
  CHECK(none.schedule->max_active_runs == 1);
  CHECK(none.schedule->trigger->settle == Millis(10000));
  CHECK(none.schedule->trigger->files.empty());

  auto daily = load(
      "schedule = \"@daily\"\nstart_date = \"2026-06-01T12:00:00+02:00\"\n"
      "end_date = \"2026-07-01\"\n");
  CHECK(daily.schedule->parsed != nullptr);
  CHECK(daily.schedule->timezone == "UTC");
  CHECK(utc(daily.schedule->start_date) == "2026-06-01T10:00:00Z");
  CHECK(utc(daily.schedule->end_date) == "2026-07-01T00:00:00Z");
  CHECK_FALSE(daily.schedule->trigger.has_value());

  auto offset = load("schedule = \"0 * * * *\"\nstart_date = 2026-06-01T12:00:00-05:30\n");
  CHECK(utc(offset.schedule->start_date) == "2026-06-01T17:30:00Z");
  // start_date == end_date is a window of one instant.
  CHECK(errors_of("schedule = \"0 * * * *\"\nstart_date = 2026-06-01\nend_date = 2026-06-01\n") ==
        "");
}

TEST_CASE("pipeline schedule: errors name the key's value with file:line:col",
          "[config][schedule]") {
  CHECK(errors_of("schedule = \"0 25 * * *\"\n") ==
        "p.toml:3:12: error: schedule \"0 25 * * *\": cron: hour field '25': 25 is out of range "
        "0-23");
  CHECK(errors_of("schedule = \"0 0 30 2 *\"\n") ==
        "p.toml:3:12: error: schedule \"0 0 30 2 *\" never fires (no date matches it)");
  CHECK(errors_of("schedule = 5\n") == "p.toml:3:12: error: 'schedule' must be a string");
  CHECK(errors_of("schedule = \"@daily\"\ntimezone = \"Europe/Berln\"\n") ==
        "p.toml:4:12: error: 'timezone': unknown time zone 'Europe/Berln' (did you mean "
        "'Europe/Berlin'?)");
  CHECK(errors_of("schedule = \"@daily\"\nstart_date = 2026-05-01\nend_date = 2026-04-01\n") ==
        "p.toml:5:12: error: 'start_date' (2026-05-01T00:00:00Z) is after 'end_date' "
        "(2026-04-01T00:00:00Z)");
  CHECK(errors_of("start_date = 2026-05-01T10:00:00\n") ==
        "p.toml:3:14: error: 'start_date' needs a UTC offset: add 'Z' or one like '+01:00'");
  CHECK(errors_of("end_date = \"next tuesday\"\n") ==
        "p.toml:3:12: error: 'end_date' must be a date (2026-01-01, midnight UTC), a date-time "
        "with an offset (2026-01-01T06:00:00Z, 2026-01-01T07:00:00+01:00) or such a string");
  CHECK(errors_of("max_active_runs = 0\n") ==
        "p.toml:3:19: error: 'max_active_runs' must be between 1 and 100000");
  CHECK(errors_of("catchup = \"yes\"\n") == "p.toml:3:11: error: 'catchup' must be true or false");
  CHECK(errors_of("shedule = \"@daily\"\n") ==
        "p.toml:3:1: error: unknown key 'shedule' in [pipeline] (did you mean 'schedule'?)");
}

TEST_CASE("pipeline schedule: [pipeline.trigger] errors", "[config][schedule]") {
  CHECK(errors_of("[pipeline.trigger]\nafter = [\"up\"]\nsetle = \"5s\"\n") ==
        "p.toml:5:1: error: unknown key 'setle' in [pipeline.trigger] (did you mean 'settle'?)");
  CHECK(errors_of("[pipeline.trigger]\nafter = [\"p\", \"up\", \"up\", \"bad name\"]\n") ==
        "p.toml:4:9: error: 'after' lists the pipeline itself ('p')\n"
        "p.toml:4:9: error: 'after' lists pipeline 'up' twice\n"
        "p.toml:4:9: error: 'after' names pipelines: 'bad name' must match [A-Za-z0-9_-]+");
  CHECK(errors_of("[pipeline.trigger]\nfiles = [\"\"]\nsettle = \"soon\"\n") ==
        "p.toml:4:9: error: 'files' must not contain an empty glob\n"
        "p.toml:5:10: error: 'settle' must be a duration like \"250ms\", \"10s\", \"5m\", \"2h\", "
        "\"1d\" or a number of seconds");
  CHECK(errors_of("[pipeline.trigger]\n") ==
        "p.toml:3:1: error: [pipeline.trigger] needs 'after' (pipelines) or 'files' (globs)");
  CHECK(errors_of("trigger = \"up\"\n") == "p.toml:3:11: error: 'trigger' must be a table");
}
