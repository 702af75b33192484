// A run store written before logical times (schema version 6, by a real jobhost:
// tests/fixtures/stores) opens with this jobhost, shows its runs as before, and resumes them.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include "cli_support.hpp"
#include "state/state_test_util.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

const std::string kFixtures = JOBHOST_SOURCE_DIR "/tests/fixtures/stores/";

// The store in dir/.jobhost/state.db (run's default), and the pipeline that wrote it.
void install_v6_store(const TempDir& dir) {
  std::filesystem::create_directories(dir.path / ".jobhost");
  RawDb(dir.str(".jobhost/state.db")).exec(read_file(kFixtures + "v6_two_daily_runs.sql"));
  write_file(dir.str("daily.toml"), read_file(kFixtures + "v6_daily.toml"));
}

// A run document of today without what versions 2 and 3 added: what version 6 printed. Its
// attempts recorded no resource usage: null.
json::value as_version_1(json::object doc) {
  for (auto* field : {"logical_time", "data_interval_start", "data_interval_end"})
    CHECK(doc.erase(field) == 1);
  for (auto& [name, job] : doc.at("jobs").as_object())
    for (auto* field : {"peak_rss_bytes", "cpu_user_seconds", "cpu_system_seconds"}) {
      CHECK(job.at(field).is_null());
      job.as_object().erase(field);
    }
  doc["schema_version"] = 1;
  return doc;
}

}  // namespace

TEST_CASE("cli: a store written before logical times shows its runs as before",
          "[cli][logical_time][compat]") {
  TempDir dir;
  install_v6_store(dir);

  auto failed = run_cli("show daily-20261127-de79bd --json", dir);
  REQUIRE(failed.exit_code == 0);
  auto doc = json::parse(failed.out).as_object();
  CHECK(doc.at("logical_date") == "2026-11-27");
  CHECK(doc.at("logical_time") == "2026-11-27T00:00:00Z");
  CHECK(doc.at("data_interval_start") == "2026-11-27T00:00:00Z");
  CHECK(doc.at("data_interval_end") == "2026-11-28T00:00:00Z");
  CHECK(as_version_1(doc) == json::parse(read_file(kFixtures + "v6_show_20261127.json")));

  auto succeeded = run_cli("show --pipeline daily --date 2026-11-26 --json", dir);
  REQUIRE(succeeded.exit_code == 0);
  CHECK(as_version_1(json::parse(succeeded.out).as_object()) ==
        json::parse(read_file(kFixtures + "v6_show_20261126.json")));

  auto listing = run_cli("runs", dir);
  CHECK(listing.exit_code == 0);
  CHECK_THAT(listing.out, Catch::Contains("daily-20261126-ddc752") &&
                              Catch::Contains("daily-20261127-de79bd"));
  auto history = run_cli("history load --pipeline daily --json", dir);
  CHECK(history.exit_code == 0);
  CHECK(json::parse(history.out).at("attempts").as_array().size() == 3);

  // The migration added columns and filled them; the rows jobhost wrote are as they were.
  RawDb raw(dir.str(".jobhost/state.db"));
  CHECK(raw.scalar("PRAGMA user_version") == "7");
  CHECK(raw.scalar("SELECT group_concat(id || ' ' || logical_date || ' ' || status || ' ' || "
                   "try_number || ' ' || file_hash, ',') FROM (SELECT * FROM runs ORDER BY id)") ==
        "daily-20261126-ddc752 2026-11-26 success 2 d6764bd45e262f32,"
        "daily-20261127-de79bd 2026-11-27 failed 1 d6764bd45e262f32");
  CHECK(raw.scalar("SELECT logical_time || ' ' || data_interval_start || ' ' || data_interval_end "
                   "FROM runs WHERE id = 'daily-20261127-de79bd'") ==
        "2026-11-27T00:00:00Z 2026-11-27T00:00:00Z 2026-11-28T00:00:00Z");
}

TEST_CASE("cli: runs of a store written before logical times resume as before",
          "[cli][logical_time][compat][resume]") {
  TempDir dir;
  install_v6_store(dir);

  // The finished date is still finished.
  auto done = run_cli("run daily.toml --date 2026-11-26", dir);
  CHECK(done.exit_code == 0);
  CHECK_THAT(done.err, Catch::Contains("nothing to do: all 2 jobs of daily for 2026-11-26"));

  // The failed date resumes as its next try: {{ run.logical_date }} expands as it did, so
  // `extract` keeps its definition and is carried over; only `load` runs.
  write_file(dir.str("ok.flag"), "");
  auto resumed = run_cli("run daily.toml --date 2026-11-27 --json", dir);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  auto doc = json::parse(resumed.out).as_object();
  CHECK(doc.at("run_id") == "daily-20261127-de79bd");
  CHECK(doc.at("try") == 2);
  CHECK(doc.at("notices").as_array().empty());  // the same file: no "pipeline file changed"
  CHECK(doc.at("jobs").at("extract").at("carried_over") == true);
  CHECK(doc.at("jobs").at("load").at("attempts") == 2);
  CHECK(doc.at("data_interval_end") == "2026-11-28T00:00:00Z");

  // An instant of that day is a run of its own.
  auto instant = run_cli("run daily.toml --date 2026-11-27T06:00:00Z --json", dir);
  REQUIRE(instant.exit_code == 0);
  CHECK(json::parse(instant.out).at("run_id") != "daily-20261127-de79bd");
  CHECK(json::parse(run_cli("runs --json", dir).out).as_array().size() == 3);
}
