// jobhost schedule next, and jobhost validate on the scheduling keys of [pipeline].
#include <catch2/catch.hpp>

#include "cli_support.hpp"

using namespace jobhost::test;

TEST_CASE("cli schedule next: fire instants in UTC, strictly after --from", "[cli][schedule]") {
  TempDir dir;
  auto r = run_cli("schedule next '*/15 * * * *' --from 2026-03-08T05:00:00Z --count 3", dir);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2026-03-08T05:15:00Z\n2026-03-08T05:30:00Z\n2026-03-08T05:45:00Z\n");
  CHECK(r.err == "");

  // 02:30 does not exist in New York on 8 March 2026: it fires at the transition.
  r = run_cli("schedule next '30 2 * * *' --tz America/New_York --from 2026-03-07 --count 3", dir);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2026-03-07T07:30:00Z\n2026-03-08T07:00:00Z\n2026-03-09T06:30:00Z\n");

  // Five by default; the fields may come unquoted; --from takes an offset.
  r = run_cli("schedule next @daily --tz=Europe/Berlin --from 2026-10-24T12:00:00+02:00", dir);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "2026-10-24T22:00:00Z\n2026-10-25T23:00:00Z\n2026-10-26T23:00:00Z\n"
        "2026-10-27T23:00:00Z\n2026-10-28T23:00:00Z\n");
  r = run_cli("schedule next 0 12 '*' '*' sat --from 2026-03-01 --count 2", dir);
  CHECK(r.out == "2026-03-07T12:00:00Z\n2026-03-14T12:00:00Z\n");

  // Without --from it starts now: some instant, in the format.
  r = run_cli("schedule next '* * * * *' --count 1", dir);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Matches("20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00Z\n"));
}

TEST_CASE("cli schedule next: bad input exits 2 with the message", "[cli][schedule]") {
  TempDir dir;
  auto r = run_cli("schedule next '0 25 * * *'", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.out == "");
  CHECK(r.err == "jobhost schedule: cron: hour field '25': 25 is out of range 0-23\n");

  r = run_cli("schedule next @daily --tz Europe/Berln", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "jobhost schedule: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)\n");

  r = run_cli("schedule next '0 0 30 2 *'", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err == "jobhost schedule: \"0 0 30 2 *\" never fires (no date matches it)\n");

  r = run_cli("schedule next @daily --from tomorrow", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("jobhost schedule: --from 'tomorrow' is not an instant"));

  r = run_cli("schedule next @daily --count 0", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--count must be a whole number from 1 to 100000"));

  r = run_cli("schedule next", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("schedule next needs a cron expression"));

  r = run_cli("schedule list", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("unknown subcommand 'list' (known: next)"));

  r = run_cli("schedule --help", dir);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("usage: jobhost schedule next EXPR"));
}

TEST_CASE("cli validate: schedule errors with file:line:col", "[cli][schedule]") {
  TempDir dir;
  write_file(dir.str("ok.toml"), R"([pipeline]
name = "ok"
schedule = "*/15 6-18 * * mon-fri"
timezone = "Europe/Berlin"
start_date = 2026-01-01
[pipeline.trigger]
files = ["landing/*.csv"]

[[jobs]]
name = "a"
uses = "utilities.noop"
)");
  auto r = run_cli("validate ok.toml", dir);
  CHECK(r.exit_code == 0);
  CHECK(r.err == "ok.toml: ok (1 jobs)\n");

  write_file(dir.str("bad.toml"), R"([pipeline]
name = "bad"
schedule = "0 2 * * mon-fry"
timezone = "America/New_Yrok"
start_date = "2026-06-01"
end_date = 2026-05-01T00:00:00Z
[pipeline.trigger]
after = ["bad"]
sette = "5s"

[[jobs]]
name = "a"
uses = "utilities.noop"
)");
  r = run_cli("validate bad.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "bad.toml:3:12: error: schedule \"0 2 * * mon-fry\": cron: day-of-week field "
        "'mon-fry': unknown name 'fry' (did you mean 'fri'?)\n"
        "bad.toml:4:12: error: 'timezone': unknown time zone 'America/New_Yrok' (did you mean "
        "'America/New_York'?)\n"
        "bad.toml:6:12: error: 'start_date' (2026-06-01T00:00:00Z) is after 'end_date' "
        "(2026-05-01T00:00:00Z)\n"
        "bad.toml:8:9: error: 'after' lists the pipeline itself ('bad')\n"
        "bad.toml:9:1: error: unknown key 'sette' in [pipeline.trigger] (did you mean "
        "'settle'?)\n");
}
