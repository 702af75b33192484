// Logical times through the CLI: --date with an ISO instant, run identity, resume and locking
// per (pipeline, date or instant), the run.* template variables, the data interval, bad input.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <regex>
#include <set>

#include "cli_support.hpp"
#include "state/run_store.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

// `stamp` appends what its templates expanded to; `check` fails until the file "fixed" exists.
const char* kPipeline = R"([pipeline]
name = "t"

[[jobs]]
name = "stamp"
uses = "utilities.shell"
[jobs.config]
command = "echo '{{ run.logical_date }} {{ run.logical_time }} {{ run.data_interval_start }} {{ run.data_interval_end }} {{ run.id }}' >> stamps.txt"

[[jobs]]
name = "check"
uses = "utilities.shell"
depends_on = ["stamp"]
[jobs.config]
command = "echo check >> ran.txt && test -f fixed"
)";

json::object run_json(const std::string& args, const TempDir& dir, int expected_exit = 0) {
  auto r = run_cli(args + " --json", dir);
  INFO(args << "\n" << r.err);
  REQUIRE(r.exit_code == expected_exit);
  return json::parse(r.out).as_object();
}

std::string text(const json::value& v) { return std::string(v.as_string()); }

std::vector<std::string> lines(const std::string& s) { return split_lines(s); }

}  // namespace

TEST_CASE("cli run: instant runs are distinct from each other and from the date run of the day",
          "[cli][logical_time]") {
  TempDir dir;
  write_file(dir.str("p.toml"), kPipeline);
  write_file(dir.str("fixed"), "");

  auto day = run_json("run p.toml --date 2026-12-01", dir);
  auto midnight = run_json("run p.toml --date 2026-12-01T00:00:00Z", dir);
  auto one_pm = run_json("run p.toml --date 2026-12-01T13:00:00Z", dir);
  // The same instant with an offset is the same run: nothing to do.
  auto again = run_cli("run p.toml --date 2026-12-01T14:00:00+01:00", dir);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("nothing to do") &&
                            Catch::Contains("for 2026-12-01T13:00:00Z"));

  // A date run's id is as it always was; an instant's carries the time, file-name safe.
  CHECK(std::regex_match(text(day.at("run_id")), std::regex("t-20261201-[0-9a-f]{6}")));
  CHECK(std::regex_match(text(midnight.at("run_id")),
                         std::regex("t-20261201T000000Z-[0-9a-f]{6}")));
  CHECK(std::regex_match(text(one_pm.at("run_id")), std::regex("t-20261201T130000Z-[0-9a-f]{6}")));
  for (auto* doc : {&day, &midnight, &one_pm}) {
    CHECK(doc->at("schema_version") == 3);
    CHECK(doc->at("logical_date") == "2026-12-01");
    CHECK(doc->at("try") == 1);
    CHECK(doc->at("status") == "success");
  }
  CHECK(day.at("logical_time") == "2026-12-01T00:00:00Z");
  CHECK(midnight.at("logical_time") == "2026-12-01T00:00:00Z");
  CHECK(one_pm.at("logical_time") == "2026-12-01T13:00:00Z");
  // The day covers its 24 hours; an instant without a schedule covers [t, t].
  CHECK(day.at("data_interval_start") == "2026-12-01T00:00:00Z");
  CHECK(day.at("data_interval_end") == "2026-12-02T00:00:00Z");
  CHECK(midnight.at("data_interval_end") == "2026-12-01T00:00:00Z");
  CHECK(one_pm.at("data_interval_start") == "2026-12-01T13:00:00Z");

  auto runs = json::parse(run_cli("runs --json", dir).out).as_array();
  REQUIRE(runs.size() == 3);
  std::set<std::string> ids;
  std::multiset<std::string> times;
  for (auto& r : runs) {
    ids.insert(text(r.at("run_id")));
    times.insert(text(r.at("logical_time")));
  }
  CHECK(ids.size() == 3);
  // The date's run and its midnight's share a logical time, not an identity.
  CHECK(times == std::multiset<std::string>{"2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z",
                                            "2026-12-01T13:00:00Z"});
  CHECK(lines(read_file(dir.str("stamps.txt"))).size() == 3);
  // The text listing shows each run's key: the date, or the instant.
  auto listing = run_cli("runs", dir).out;
  CHECK_THAT(listing, Catch::Contains(" 2026-12-01 ") && Catch::Contains("2026-12-01T13:00:00Z") &&
                          Catch::Contains("2026-12-01T00:00:00Z"));
}

TEST_CASE("cli run: an instant run resumes, is idempotent, keeps its data interval and is locked",
          "[cli][logical_time][resume]") {
  TempDir dir;
  write_file(dir.str("p.toml"), kPipeline);
  auto first = run_json(
      "run p.toml --date 2026-12-01T13:00:00Z --data-interval "
      "2026-12-01T12:00:00Z/2026-12-01T13:00:00Z",
      dir, 1);
  const std::string run_id = text(first.at("run_id"));
  CHECK(first.at("status") == "failed");
  CHECK(first.at("data_interval_start") == "2026-12-01T12:00:00Z");

  // Resumed by hand, with an offset and no interval: the same run, its recorded interval kept,
  // so `stamp` (whose config uses it) is carried over and only `check` runs again.
  write_file(dir.str("fixed"), "");
  auto second = run_json("run p.toml --date 2026-12-01T08:00:00-05:00", dir);
  CHECK(text(second.at("run_id")) == run_id);
  CHECK(second.at("try") == 2);
  CHECK(second.at("logical_time") == "2026-12-01T13:00:00Z");
  CHECK(second.at("data_interval_start") == "2026-12-01T12:00:00Z");
  CHECK(second.at("data_interval_end") == "2026-12-01T13:00:00Z");
  CHECK(second.at("jobs").at("stamp").at("carried_over") == true);
  CHECK(second.at("jobs").at("check").at("try_attempts") == 1);
  CHECK(read_file(dir.str("ran.txt")) == "check\ncheck\n");

  // Finished: a rerun does nothing and records nothing.
  auto third = run_cli("run p.toml --date 2026-12-01T13:00:00Z", dir);
  CHECK(third.exit_code == 0);
  CHECK_THAT(third.err, Catch::Contains("nothing to do"));
  auto shown = run_json("show --pipeline t --date 2026-12-01T14:00:00+01:00", dir);
  CHECK(text(shown.at("run_id")) == run_id);
  CHECK(shown.at("try") == 2);
  CHECK(shown.at("logical_time") == "2026-12-01T13:00:00Z");
  CHECK(shown.at("data_interval_start") == "2026-12-01T12:00:00Z");
  CHECK_THAT(run_cli("show " + run_id, dir).out,
             Catch::Contains("2026-12-01T12:00:00Z/2026-12-01T13:00:00Z"));

  // run-job addresses the same run.
  CHECK(run_cli("run-job p.toml check --date 2026-12-01T13:00:00Z", dir).exit_code == 0);
  CHECK(run_json("show " + run_id, dir).at("try") == 3);
  CHECK(lines(read_file(dir.str("stamps.txt"))) ==
        std::vector<std::string>{"2026-12-01 2026-12-01T13:00:00Z 2026-12-01T12:00:00Z "
                                 "2026-12-01T13:00:00Z " + run_id});

  // The run lock is per (pipeline, instant): held by a live process, this run is refused; the
  // date run of the same day is another run and goes ahead.
  jobhost::state::StoreOptions o;
  o.path = dir.str(".jobhost/state.db");
  auto store = jobhost::state::RunStore::open(o);
  REQUIRE_FALSE(store->try_lock("t", "2026-12-01T13:00:00Z"));
  auto locked = run_cli("run p.toml --date 2026-12-01T13:00:00Z --force", dir);
  CHECK(locked.exit_code == 2);
  CHECK_THAT(locked.err, Catch::Contains("for 2026-12-01T13:00:00Z is already running"));
  CHECK(run_cli("run p.toml --date 2026-12-01", dir).exit_code == 0);
  store->unlock("t", "2026-12-01T13:00:00Z");
}

TEST_CASE("cli run: templates expand the logical date, time and data interval",
          "[cli][logical_time][templates]") {
  TempDir dir;
  write_file(dir.str("p.toml"), kPipeline);
  write_file(dir.str("fixed"), "");
  auto day = run_json("run p.toml --date 2026-12-31", dir);
  auto instant = run_json("run p.toml --date 2026-12-01T13:00:00Z", dir);
  // A new interval for the same run changes what `stamp` is given: it runs again.
  auto narrowed = run_json(
      "run p.toml --date 2026-12-01T13:00:00Z --data-interval "
      "2026-12-01T13:00:00+01:00/2026-12-01T14:00:00+01:00",
      dir);
  CHECK(narrowed.at("run_id") == instant.at("run_id"));
  CHECK(narrowed.at("jobs").at("stamp").at("carried_over") == false);
  auto memory = run_json("run p.toml --date 2026-12-01T13:00:00Z --no-state", dir);
  CHECK(std::regex_match(text(memory.at("run_id")), std::regex("t-20261201T130000Z-[0-9a-f]{6}")));

  CHECK(lines(read_file(dir.str("stamps.txt"))) ==
        std::vector<std::string>{
            "2026-12-31 2026-12-31T00:00:00Z 2026-12-31T00:00:00Z 2027-01-01T00:00:00Z " +
                text(day.at("run_id")),
            "2026-12-01 2026-12-01T13:00:00Z 2026-12-01T13:00:00Z 2026-12-01T13:00:00Z " +
                text(instant.at("run_id")),
            "2026-12-01 2026-12-01T13:00:00Z 2026-12-01T12:00:00Z 2026-12-01T13:00:00Z " +
                text(instant.at("run_id")),
            "2026-12-01 2026-12-01T13:00:00Z 2026-12-01T13:00:00Z 2026-12-01T13:00:00Z " +
                text(memory.at("run_id"))});

  // validate knows the new variables, and suggests them.
  CHECK(run_cli("validate p.toml", dir).exit_code == 0);
  write_file(dir.str("typo.toml"), R"([pipeline]
name = "typo"
[[jobs]]
name = "a"
uses = "utilities.shell"
config = { command = "echo {{ run.data_interval_strat }}" }
)");
  auto bad = run_cli("validate typo.toml", dir);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("unknown template variable '{{ run.data_interval_strat }}' "
                                      "(did you mean 'run.data_interval_start'?)"));
}

TEST_CASE("cli: a bad logical time or data interval is exit 2 with a clear message",
          "[cli][logical_time]") {
  TempDir dir;
  write_file(dir.str("p.toml"), kPipeline);
  const std::string forms =
      "(give a date YYYY-MM-DD, or an ISO instant like 2026-12-01T13:00:00Z or "
      "2026-12-01T14:00:00+01:00)";
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"run p.toml --date 2026-12-01T25:00:00Z",
       "--date '2026-12-01T25:00:00Z': time of day 25:00:00 is out of range " + forms},
      {"run p.toml --date 2026-12-01T13:00:00",
       "--date '2026-12-01T13:00:00': no UTC offset (add Z, or one like +01:00)"},
      {"run p.toml --date 2026-02-30T13:00:00Z", "2026-02-30 is not a calendar date"},
      {"run p.toml --date 2026-12-01T13:00:00.250Z", "fractions of a second are not supported"},
      {"run-job p.toml stamp --date 'tomorrow 9am'",
       "--date 'tomorrow 9am': not a date or an ISO instant"},
      {"show --pipeline t --date 2026-12-01T13:00", "no UTC offset"},
      {"run p.toml --date 2026-12-01T13:00:00Z --data-interval 2026-12-01T12:00:00Z",
       "--data-interval needs START/END (two ISO instants), got '2026-12-01T12:00:00Z'"},
      {"run p.toml --date 2026-12-01T13:00:00Z --data-interval "
       "2026-12-01T12:00:00/2026-12-01T13:00:00Z",
       "data interval start '2026-12-01T12:00:00': no UTC offset"},
      {"run p.toml --date 2026-12-01T13:00:00Z --data-interval "
       "2026-12-01T14:00:00Z/2026-12-01T13:00:00Z",
       "data interval 2026-12-01T14:00:00Z/2026-12-01T13:00:00Z ends before it starts"},
  };
  for (auto& c : cases) {
    auto r = run_cli(c.args, dir);
    INFO(c.args << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(c.message));
  }
  // Nothing was recorded, and nothing ran.
  CHECK(json::parse(run_cli("runs --json", dir).out).as_array().empty());
  CHECK_FALSE(std::filesystem::exists(dir.str("stamps.txt")));
}

TEST_CASE("cli: run documents of date and instant runs are valid against the JSON Schema",
          "[cli][logical_time][json]") {
  TempDir dir;
  write_file(dir.str("p.toml"), kPipeline);
  write_file(dir.str("run_date.json"), run_cli("run p.toml --date 2026-12-01 --json", dir).out);
  write_file(dir.str("run_instant.json"),
             run_cli("run p.toml --date 2026-12-01T13:00:00Z --json", dir).out);
  write_file(dir.str("show_instant.json"),
             run_cli("show --pipeline t --date 2026-12-01T13:00:00Z --json", dir).out);
  std::string cmd = "/usr/bin/python3 -c 'import json, sys, jsonschema\n"
                    "schema = json.load(open(sys.argv[1]))\n"
                    "for f in sys.argv[2:]: jsonschema.Draft202012Validator(schema).validate(json.load(open(f)))' "
                    "'" JOBHOST_SOURCE_DIR "/docs/schemas/run.schema.json' '" +
                    dir.str("run_date.json") + "' '" + dir.str("run_instant.json") + "' '" +
                    dir.str("show_instant.json") + "' 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
}
