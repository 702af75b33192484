// jobhost run-job FILE JOB --date D: runs exactly one job, even one that succeeded, with its
// upstream outputs from the run store, and records it as the next try of the run.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <map>
#include <set>

#include "cli_support.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

const std::string kDate = "2026-11-28";
const std::string kPlugins = " --plugin-path '" JOBHOST_RELIABILITY_PLUGIN_DIR "'";

// emit publishes the text of token.txt; mid logs what it received from emit; tail and side
// are shell jobs (tail downstream of mid, side independent).
const char* kPipeline = R"(
[pipeline]
name = "rj"
[[jobs]]
name = "emit"
uses = "relay.emit"
[jobs.config]
token_file = "token.txt"
log = "ran.txt"
[[jobs]]
name = "mid"
uses = "relay.relay"
depends_on = ["emit"]
[jobs.config]
from = "emit"
log = "ran.txt"
[[jobs]]
name = "tail"
uses = "utilities.shell"
depends_on = ["mid"]
[jobs.config]
command = "echo tail >> ran.txt"
[[jobs]]
name = "side"
uses = "utilities.shell"
[jobs.config]
command = "echo side >> ran.txt"
)";

std::multiset<std::string> lines_of(const std::string& text) {
  std::multiset<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

std::map<std::string, json::object> jobs_by_name(const json::value& show) {
  std::map<std::string, json::object> out;
  for (auto& [name, j] : show.at("jobs").as_object()) out[std::string(name)] = j.as_object();
  return out;
}

}  // namespace

TEST_CASE("run-job after a full run: runs exactly that job with upstream outputs from the store",
          "[run-job]") {
  TempDir dir;
  write_file(dir.str("p.toml"), kPipeline);
  write_file(dir.str("token.txt"), "first\n");
  auto full = run_cli("run p.toml --date " + kDate + " --state s.db --json" + kPlugins, dir);
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  CHECK(lines_of(read_file(dir.str("ran.txt"))) ==
        std::multiset<std::string>{"emit", "mid first", "tail", "side"});
  const std::string run_id(json::parse(full.out).at("run_id").as_string());

  // emit would now publish "second" if it ran; mid must get emit's recorded "first".
  write_file(dir.str("token.txt"), "second\n");
  write_file(dir.str("ran.txt"), "");
  auto one = run_cli("run-job p.toml mid --date " + kDate + " --state s.db --json" + kPlugins, dir);
  INFO(one.err);
  REQUIRE(one.exit_code == 0);
  CHECK(read_file(dir.str("ran.txt")) == "mid first\n");
  auto result = json::parse(one.out);
  CHECK(result.at("run_id") == json::value(run_id));
  CHECK(result.at("try") == 2);
  CHECK(result.at("status") == "success");
  CHECK(result.at("jobs").at("mid").at("state") == "success");
  CHECK(result.at("jobs").at("mid").at("try_attempts") == 1);
  CHECK(result.at("jobs").at("mid").at("attempts") == 2);  // over both tries, as `show` says
  CHECK(result.at("jobs").at("mid").at("carried_over") == false);

  // Recorded: mid has an attempt in try 2; the others still have only their try-1 attempt.
  auto show = run_cli("show --pipeline rj --date " + kDate + " --json --state s.db", dir);
  REQUIRE(show.exit_code == 0);
  auto doc = json::parse(show.out);
  CHECK(doc.at("try") == 2);
  CHECK(doc.at("status") == "success");
  auto jobs = jobs_by_name(doc);
  CHECK(jobs["mid"].at("state") == "success");
  CHECK(jobs["mid"].at("attempts") == 2);
  for (const char* other : {"emit", "tail", "side"}) {
    INFO(other);
    REQUIRE(jobs.count(other));
    CHECK(jobs[other].at("state") == "success");
    CHECK(jobs[other].at("attempts") == 1);
  }
  auto hist = run_cli("history mid --pipeline rj --json --state s.db", dir);
  REQUIRE(hist.exit_code == 0);
  auto attempts = json::parse(hist.out).at("attempts").as_array();
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].at("try_number") == 2);
  CHECK(attempts[0].at("attempt") == 1);
  CHECK(attempts[0].at("state") == "success");
  CHECK(attempts[1].at("try_number") == 1);
  auto emit_hist = json::parse(run_cli("history emit --pipeline rj --json --state s.db", dir).out);
  CHECK(emit_hist.at("attempts").as_array().size() == 1);

  // Running it again runs it again (it is not carried over like in `run`).
  write_file(dir.str("ran.txt"), "");
  REQUIRE(run_cli("run-job p.toml mid --date " + kDate + " --state s.db" + kPlugins, dir).exit_code == 0);
  CHECK(read_file(dir.str("ran.txt")) == "mid first\n");
}

TEST_CASE("run-job: bad input exits 2", "[run-job]") {
  TempDir dir;
  write_file(dir.str("p.toml"), kPipeline);
  auto r = run_cli("run-job p.toml nope --date " + kDate + " --state s.db" + kPlugins, dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("nope"));
  CHECK(run_cli("run-job p.toml mid --state s.db" + kPlugins, dir).exit_code == 2);  // no --date
  CHECK(run_cli("run-job p.toml --date " + kDate + " --state s.db" + kPlugins, dir).exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(dir.str("ran.txt")));
}
