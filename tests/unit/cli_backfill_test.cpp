// `jobhost backfill FILE --from D1 --to D2 [--max-active N]`: every tick of the schedule in
// the range, in order, at most N at once, each with its tick's data interval; idempotent;
// schedule = "none" backfills dates; bad ranges exit 2; a failing job exits 1.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <vector>

#include "cli_support.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

// One job that appends its logical time and interval to stamps.txt; it fails for the
// logical time named in the file "fail_at", if any.
std::string pipeline(const std::string& schedule_keys) {
  return "[pipeline]\nname = \"bf\"\n" + schedule_keys +
         "\n[defaults]\nretry_jitter = false\n"
         "[[jobs]]\nname = \"stamp\"\nuses = \"utilities.shell\"\n[jobs.config]\n"
         "command = \"echo '{{ run.logical_time }} {{ run.data_interval_start }} "
         "{{ run.data_interval_end }}' >> stamps.txt && ! grep -qx '{{ run.logical_time }}' fail_at 2>/dev/null\"\n";
}

std::string text(const json::value& v) { return std::string(v.as_string()); }

std::vector<std::string> lines(const std::string& s) { return split_lines(s); }

json::object backfill(const std::string& args, const TempDir& dir, int expected_exit = 0) {
  auto r = run_cli("backfill p.toml " + args + " --json", dir);
  INFO(args << "\n" << r.err);
  REQUIRE(r.exit_code == expected_exit);
  return json::parse(r.out).as_object();
}

// The runs of pipeline bf from `jobhost runs --json`, oldest logical time first.
std::vector<json::object> runs(const TempDir& dir) {
  auto r = run_cli("runs --pipeline bf --limit 100 --json", dir);
  REQUIRE(r.exit_code == 0);
  std::vector<json::object> out;
  const json::value doc = json::parse(r.out);
  for (auto& v : doc.as_array()) out.push_back(v.as_object());
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return text(a.at("logical_time")) < text(b.at("logical_time")); });
  return out;
}

}  // namespace

TEST_CASE("cli backfill: an hourly schedule runs each tick in order with its data interval",
          "[cli][backfill]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline("schedule = \"0 * * * *\""));
  auto doc = backfill("--from 2026-12-01T10:00:00Z --to 2026-12-01T14:00:00Z", dir);
  CHECK(doc.at("status") == "success");
  auto& ticks = doc.at("runs").as_array();
  REQUIRE(ticks.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    auto& t = ticks[i].as_object();
    const char* hours[] = {"09", "10", "11", "12", "13", "14"};
    CHECK(text(t.at("logical")) == std::string("2026-12-01T") + hours[i + 1] + ":00:00Z");
    CHECK(text(t.at("logical_time")) == std::string("2026-12-01T") + hours[i + 1] + ":00:00Z");
    CHECK(text(t.at("data_interval_start")) == std::string("2026-12-01T") + hours[i] + ":00:00Z");
    CHECK(t.at("status") == "success");
    CHECK(t.at("nothing_to_do") == false);
    CHECK(!t.at("run_id").as_string().empty());
  }
  // The default max_active_runs is 1: the jobs ran one tick after another, oldest first.
  auto stamped = lines(read_file(dir.str("stamps.txt")));
  REQUIRE(stamped.size() == 5);
  CHECK(stamped[0] == "2026-12-01T10:00:00Z 2026-12-01T09:00:00Z 2026-12-01T10:00:00Z");
  CHECK(stamped[4] == "2026-12-01T14:00:00Z 2026-12-01T13:00:00Z 2026-12-01T14:00:00Z");
  auto stored = runs(dir);
  REQUIRE(stored.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(stored[i].at("run_id") == ticks[i].at("run_id"));
    CHECK(stored[i].at("logical_time") == ticks[i].at("logical_time"));
    CHECK(stored[i].at("data_interval_start") == ticks[i].at("data_interval_start"));
    CHECK(stored[i].at("data_interval_end") == ticks[i].at("logical_time"));
    CHECK(stored[i].at("status") == "success");
  }
  // show --json agrees for one of them.
  auto shown = run_cli("show " + text(ticks[2].at("run_id")) + " --json", dir);
  REQUIRE(shown.exit_code == 0);
  auto show_doc = json::parse(shown.out).as_object();
  CHECK(show_doc.at("logical_time") == "2026-12-01T12:00:00Z");
  CHECK(show_doc.at("data_interval_start") == "2026-12-01T11:00:00Z");
  CHECK(show_doc.at("data_interval_end") == "2026-12-01T12:00:00Z");

  // A second backfill of the same range has nothing to do, and runs no job.
  write_file(dir.str("stamps.txt"), "");
  auto again = backfill("--from 2026-12-01T10:00:00Z --to 2026-12-01T14:00:00Z", dir);
  CHECK(again.at("status") == "success");
  for (auto& t : again.at("runs").as_array()) {
    CHECK(t.at("nothing_to_do") == true);
    CHECK(t.at("status") == "success");
  }
  CHECK(read_file(dir.str("stamps.txt")).empty());
  CHECK(runs(dir).size() == 5);
}

TEST_CASE("cli backfill: --max-active 1 runs one at a time, 3 runs them all", "[cli][backfill]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline("schedule = \"*/10 * * * *\"\nmax_active_runs = 3"));
  auto doc = backfill("--from 2026-12-01T00:00:00Z --to 2026-12-01T00:40:00Z --max-active 1", dir);
  CHECK(doc.at("max_active") == 1);
  auto stored = runs(dir);
  REQUIRE(stored.size() == 5);
  for (size_t i = 0; i + 1 < stored.size(); ++i) {
    INFO(i);
    CHECK(text(stored[i].at("ended_at")) <= text(stored[i + 1].at("started_at")));
  }
  // The pipeline's max_active_runs is the default; the ticks still all run, in order of start.
  auto three = backfill("--from 2026-12-01T01:00:00Z --to 2026-12-01T01:40:00Z", dir);
  CHECK(three.at("max_active") == 3);
  CHECK(three.at("status") == "success");
  REQUIRE(three.at("runs").as_array().size() == 5);
  for (auto& t : three.at("runs").as_array()) CHECK(t.at("status") == "success");
  CHECK(runs(dir).size() == 10);
}

TEST_CASE("cli backfill: schedule none backfills one run per UTC date", "[cli][backfill]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline(""));
  auto doc = backfill("--from 2026-11-29 --to 2026-12-01", dir);
  auto& ticks = doc.at("runs").as_array();
  REQUIRE(ticks.size() == 3);
  CHECK(ticks[0].at("logical") == "2026-11-29");
  CHECK(ticks[0].at("logical_time") == "2026-11-29T00:00:00Z");
  CHECK(ticks[2].at("logical") == "2026-12-01");
  auto stored = runs(dir);
  REQUIRE(stored.size() == 3);
  CHECK(stored[0].at("logical_date") == "2026-11-29");
  CHECK(stored[0].at("data_interval_start") == "2026-11-29T00:00:00Z");
  CHECK(stored[0].at("data_interval_end") == "2026-11-30T00:00:00Z");
  CHECK(stored[2].at("logical_date") == "2026-12-01");
}

TEST_CASE("cli backfill: a date as --to means through the end of that day, and start_date applies",
          "[cli][backfill]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline("schedule = \"0 */6 * * *\"\nstart_date = 2026-12-01T12:00:00Z"));
  auto doc = backfill("--from 2026-11-30 --to 2026-12-01", dir);
  auto& ticks = doc.at("runs").as_array();
  REQUIRE(ticks.size() == 2);
  CHECK(ticks[0].at("logical_time") == "2026-12-01T12:00:00Z");
  CHECK(ticks[1].at("logical_time") == "2026-12-01T18:00:00Z");
  // A range with no tick has nothing to do.
  auto none = backfill("--from 2026-12-01T13:00:00Z --to 2026-12-01T14:00:00Z", dir);
  CHECK(none.at("runs").as_array().empty());
  CHECK(none.at("status") == "success");
}

TEST_CASE("cli backfill: bad ranges and options exit 2 and run nothing", "[cli][backfill]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline("schedule = \"* * * * *\""));
  auto after = run_cli("backfill p.toml --from 2026-12-02 --to 2026-12-01", dir);
  CHECK(after.exit_code == 2);
  CHECK_THAT(after.err, Catch::Contains("is after --to"));
  auto bad = run_cli("backfill p.toml --from 2026-13-01 --to 2026-12-01", dir);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--from '2026-13-01'"));
  CHECK(run_cli("backfill p.toml --to 2026-12-01", dir).exit_code == 2);
  CHECK(run_cli("backfill p.toml --from 2026-12-01 --to 2026-12-01 --max-active 0", dir).exit_code == 2);
  // Every minute for 7 days is 10,080 ticks: too many without --yes.
  auto many = run_cli("backfill p.toml --from 2026-12-01 --to 2026-12-07", dir);
  CHECK(many.exit_code == 2);
  CHECK_THAT(many.err, Catch::Contains("--yes"));
  CHECK_FALSE(std::filesystem::exists(dir.str("stamps.txt")));
  CHECK(run_cli("backfill --help", dir).exit_code == 0);
}

TEST_CASE("cli backfill: a failing tick exits 1, the others still run", "[cli][backfill]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline("schedule = \"@daily\""));
  write_file(dir.str("fail_at"), "2026-12-02T00:00:00Z\n");
  auto doc = backfill("--from 2026-12-01 --to 2026-12-03", dir, 1);
  CHECK(doc.at("status") == "failed");
  auto& ticks = doc.at("runs").as_array();
  REQUIRE(ticks.size() == 3);
  CHECK(ticks[0].at("status") == "success");
  CHECK(ticks[1].at("status") == "failed");
  CHECK(ticks[2].at("status") == "success");
  // Fixed: a second backfill resumes the failed tick only.
  write_file(dir.str("fail_at"), "");
  auto again = backfill("--from 2026-12-01 --to 2026-12-03", dir);
  CHECK(again.at("runs").as_array()[0].at("nothing_to_do") == true);
  CHECK(again.at("runs").as_array()[1].at("nothing_to_do") == false);
  CHECK(again.at("runs").as_array()[1].at("status") == "success");
}
