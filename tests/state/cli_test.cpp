// The read-side commands, called directly with their arguments; output captured.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cli/args.hpp"
#include "cli/state_commands.hpp"
#include "state/state_path.hpp"
#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;

namespace {

struct Output {
  int code = -1;
  std::string out, err;
};

// Runs a command with std::cout / std::cerr redirected into strings.
Output run_cmd(int (*cmd)(const std::vector<std::string>&), std::vector<std::string> args) {
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  Output o;
  try {
    o.code = cmd(args);
  } catch (...) {
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    throw;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

// daily/2026-11-28: extract ok, load failed twice. Returns the run id.
std::string seed(const std::string& path) {
  auto store = test::open_store(path);
  auto h = store->begin_run(test::make_begin("daily", "2026-11-28"));
  store->job_started(h.run_id, 1, "extract", 1, "c");
  store->job_finished(h.run_id, 1, "extract", 1, JobState::success, "", 1500, {{"rows", 5}},
                      {{"path", "/x"}});
  store->job_started(h.run_id, 1, "load", 1, "c");
  store->job_finished(h.run_id, 1, "load", 1, JobState::up_for_retry, "timeout", 200, {}, {});
  store->job_started(h.run_id, 1, "load", 2, "c");
  store->job_finished(h.run_id, 1, "load", 2, JobState::failed, "connection\nrefused", 300, {},
                      {});
  store->finish_run(h.run_id, "failed");
  return h.run_id;
}

}  // namespace

TEST_CASE("runs prints an aligned table and JSON", "[state][cli]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  std::string id = seed(path);

  auto text = run_cmd(cli::cmd_runs, {"--state", path});
  CHECK(text.code == 0);
  CHECK_THAT(text.out, Catch::StartsWith("RUN ID"));
  CHECK_THAT(text.out, Catch::Contains(id));
  CHECK_THAT(text.out, Catch::Contains("1 failed, 1 success"));
  // Columns line up: the header's STATUS sits above the row's status.
  auto nl = text.out.find('\n');
  std::string header = text.out.substr(0, nl), row = text.out.substr(nl + 1);
  CHECK(row.find("failed") == header.find("STATUS"));

  auto json = run_cmd(cli::cmd_runs, {"--state", path, "--json", "--pipeline", "daily"});
  CHECK(json.code == 0);
  auto arr = boost::json::parse(json.out).as_array();
  REQUIRE(arr.size() == 1);
  CHECK(arr[0].at("run_id").as_string() == id);
  CHECK(arr[0].at("status").as_string() == "failed");
  CHECK(arr[0].at("counts_by_state").at("success").as_int64() == 1);

  auto other = run_cmd(cli::cmd_runs, {"--state", path, "--json", "--pipeline", "hourly"});
  CHECK(other.out == "[]\n");
}

TEST_CASE("runs on a missing store reports no runs and creates nothing", "[state][cli]") {
  test::TempDir dir;
  std::string path = dir.str("none/state.db");
  auto o = run_cmd(cli::cmd_runs, {"--state", path});
  CHECK(o.code == 0);
  CHECK_THAT(o.out, Catch::Contains("no runs recorded"));
  CHECK_FALSE(std::filesystem::exists(dir.str("none")));
}

TEST_CASE("show finds a run by id or by pipeline and date", "[state][cli]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  std::string id = seed(path);

  auto text = run_cmd(cli::cmd_show, {id, "--state", path});
  CHECK(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("failed (try 1)"));
  CHECK_THAT(text.out, Catch::Contains("JOB"));
  CHECK_THAT(text.out, Catch::Contains("connection refused"));  // one line
  CHECK_THAT(text.out, Catch::Contains("1.5s"));

  auto json = run_cmd(cli::cmd_show, {"--pipeline", "daily", "--date", "2026-11-28", "--json",
                                      "--state", path});
  CHECK(json.code == 0);
  auto obj = boost::json::parse(json.out).as_object();
  CHECK(obj.at("run_id").as_string() == id);
  CHECK(obj.at("params").at("region").as_string() == "eu");
  // Jobs by name, in the order they were first recorded.
  auto& jobs = obj.at("jobs").as_object();
  REQUIRE(jobs.size() == 2);
  CHECK(jobs.begin()[1].key() == "load");
  CHECK(jobs.at("load").at("attempts").as_int64() == 2);
  CHECK(jobs.at("load").at("error").as_string() == "connection\nrefused");
  CHECK(jobs.at("extract").at("metrics").at("rows").to_number<double>() == 5.0);
}

TEST_CASE("show of a missing run exits 2 with a message", "[state][cli]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  seed(path);
  auto o = run_cmd(cli::cmd_show, {"daily-20000101-000000", "--state", path});
  CHECK(o.code == 2);
  CHECK_THAT(o.err, Catch::Contains("no run 'daily-20000101-000000'"));
  o = run_cmd(cli::cmd_show, {"--pipeline", "daily", "--date", "2000-01-01", "--state", path});
  CHECK(o.code == 2);
  CHECK_THAT(o.err, Catch::Contains("no run of pipeline 'daily' for date 2000-01-01"));
  CHECK_THROWS_AS(run_cmd(cli::cmd_show, {"--state", path}), cli::UsageError);
  CHECK_THROWS_AS(run_cmd(cli::cmd_show, {"x", "--pipeline", "daily", "--state", path}),
                  cli::UsageError);
}

TEST_CASE("history shows attempts, percentiles and failure rate", "[state][cli]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  seed(path);
  auto text = run_cmd(cli::cmd_history, {"load", "--pipeline", "daily", "--state", path});
  CHECK(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("failure rate 100.0% of 2 finished"));

  auto json =
      run_cmd(cli::cmd_history, {"extract", "--pipeline", "daily", "--json", "--state", path});
  CHECK(json.code == 0);
  auto obj = boost::json::parse(json.out).as_object();
  CHECK(obj.at("p50_ms").as_int64() == 1500);
  CHECK(obj.at("failure_rate").as_double() == 0.0);
  CHECK(obj.at("attempts").as_array().size() == 1);

  auto none = run_cmd(cli::cmd_history, {"nope", "--pipeline", "daily", "--state", path});
  CHECK(none.code == 2);
  CHECK_THAT(none.err, Catch::Contains("no attempts of job 'nope'"));
  CHECK_THROWS_AS(run_cmd(cli::cmd_history, {"load", "--state", path}), cli::UsageError);
  CHECK_THROWS_AS(
      run_cmd(cli::cmd_history, {"load", "--pipeline", "daily", "--limit", "0", "--state", path}),
      cli::UsageError);
}

TEST_CASE("a corrupt store makes the commands exit 2 and leaves it untouched", "[state][cli]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  std::string garbage(4096, '\x5a');
  test::write_bytes(path, garbage);
  for (auto cmd : {cli::cmd_runs, cli::cmd_show}) {
    auto o = run_cmd(cmd, cmd == cli::cmd_runs ? std::vector<std::string>{"--state", path}
                                               : std::vector<std::string>{"r", "--state", path});
    CHECK(o.code == 2);
    CHECK_THAT(o.err, Catch::Contains(path));
  }
  CHECK(test::read_bytes(path) == garbage);
}

TEST_CASE("every state command has --help", "[state][cli]") {
  for (auto cmd : {cli::cmd_runs, cli::cmd_show, cli::cmd_history}) {
    auto o = run_cmd(cmd, {"--help"});
    CHECK(o.code == 0);
    CHECK_THAT(o.out, Catch::StartsWith("usage: jobhost"));
  }
}

TEST_CASE("the store path: --state, then JOBHOST_STATE, then config, then the default",
          "[state][cli]") {
  ::unsetenv("JOBHOST_STATE");
  CHECK(resolve_state_path(std::nullopt) == ".jobhost/state.db");
  CHECK(resolve_state_path(std::nullopt, std::string("/cfg.db")) == "/cfg.db");
  ::setenv("JOBHOST_STATE", "/env.db", 1);
  CHECK(resolve_state_path(std::nullopt, std::string("/cfg.db")) == "/env.db");
  CHECK(resolve_state_path(std::string("/cli.db")) == "/cli.db");
  ::unsetenv("JOBHOST_STATE");
}
