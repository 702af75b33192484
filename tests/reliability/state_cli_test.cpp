// The run store as users meet it through the CLI: refused store files, the run lock between
// two hosts, and the runs/show/history read commands after a run with a retried job.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <random>

#include "child_process.hpp"
#include "cli_support.hpp"
#include "folder_watch.hpp"
#include "state/sqlite_handle.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

const std::string kDate = "2026-11-28";

std::string shell_job(const std::string& name, const std::string& command,
                      const std::string& deps = "", const std::string& extra = "") {
  return "[[jobs]]\nname = \"" + name + "\"\nuses = \"utilities.shell\"\ndepends_on = [" + deps +
         "]\n" + extra + "[jobs.config]\ncommand = \"" + command + "\"\n";
}

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("state store: a corrupt file is refused with exit 2, named, and left byte-identical",
          "[state][cli]") {
  TempDir dir;
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"t\"\n" + shell_job("a", "echo a >> ran.txt"));
  std::mt19937 rng(20261128);
  std::string garbage(64 * 1024, '\0');
  for (auto& c : garbage) c = static_cast<char>(rng() & 0xff);
  {
    std::ofstream f(dir.str("state.db"), std::ios::binary);
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }

  auto r = run_cli("run p.toml --date " + kDate + " --state state.db", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("state.db") && Catch::Contains("not a readable jobhost state database"));
  CHECK(bytes_of(dir.str("state.db")) == garbage);
  CHECK_FALSE(std::filesystem::exists(dir.str("ran.txt")));  // no job ran without a store
  CHECK_FALSE(std::filesystem::exists(dir.str("state.db-wal")));

  // The read commands refuse it the same way and do not touch it either.
  for (const std::string& cmd : std::vector<std::string>{"runs --state state.db", "show --pipeline t --date " + kDate + " --state state.db",
                          "history a --pipeline t --state state.db"}) {
    INFO(cmd);
    auto q = run_cli(cmd, dir);
    CHECK(q.exit_code == 2);
    CHECK_THAT(q.err, Catch::Contains("state.db"));
  }
  CHECK(bytes_of(dir.str("state.db")) == garbage);
}

TEST_CASE("state store: a jobhost store with garbled pages is refused and left byte-identical",
          "[state][cli]") {
  TempDir dir;
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"t\"\n" + shell_job("a", "echo a >> ran.txt"));
  REQUIRE(run_cli("run p.toml --date " + kDate + " --state state.db", dir).exit_code == 0);
  // Keep the first page (a valid SQLite header and schema root), garble the rest.
  std::string db = bytes_of(dir.str("state.db"));
  REQUIRE(db.size() > 8192);
  std::mt19937 rng(7);
  for (size_t i = 4096; i < db.size(); ++i) db[i] = static_cast<char>(rng() & 0xff);
  {
    std::ofstream f(dir.str("state.db"), std::ios::binary | std::ios::trunc);
    f.write(db.data(), static_cast<std::streamsize>(db.size()));
  }
  auto r = run_cli("run p.toml --date " + kDate + " --state state.db --force", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("state.db"));
  CHECK(bytes_of(dir.str("state.db")) == db);
  CHECK(read_file(dir.str("ran.txt")) == "a\n");  // the forced rerun did not start
}

TEST_CASE("state store: an unwritable location exits 2 naming it", "[state][cli]") {
  TempDir dir;
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"t\"\n" + shell_job("a", "echo a >> ran.txt"));
  write_file(dir.str("blocker"), "a regular file where the store's folder should be\n");

  auto r = run_cli("run p.toml --date " + kDate + " --state blocker/state.db", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("blocker/state.db"));
  CHECK(read_file(dir.str("blocker")) == "a regular file where the store's folder should be\n");
  CHECK_FALSE(std::filesystem::exists(dir.str("ran.txt")));

  // A store inside a folder that cannot be written: the same refusal.
  std::filesystem::create_directory(dir.str("ro"));
  std::filesystem::permissions(dir.str("ro"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (::geteuid() != 0) {  // root writes anywhere
    r = run_cli("run p.toml --date " + kDate + " --state ro/state.db", dir);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("ro/state.db"));
  }
  std::filesystem::permissions(dir.str("ro"), std::filesystem::perms::owner_all);
}

TEST_CASE("run lock: a second host on the same pipeline and date exits 2 naming the first",
          "[state][cli][lock]") {
  become_subreaper();
  TempDir dir;
  // `hold` waits (bounded) for the marker file `go`, which the test creates after checking.
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"locked\"\n" +
                 shell_job("hold",
                           "echo hold >> ran.txt; touch started; i=0; while [ ! -f go-{{ run.logical_date }} ] && [ $i -lt 6000 ]; "
                           "do sleep 0.01; i=$((i+1)); done; test -f go-{{ run.logical_date }}") +
                 shell_job("after", "echo after >> ran.txt", "\"hold\""));

  ChildProcess first(dir.str(), {"run", "p.toml", "--date", kDate, "--state", "state.db"},
                     dir.str("out1.txt"), dir.str("err1.txt"));
  bool started = wait_until(dir, first, [&] { return std::filesystem::exists(dir.str("started")); });
  INFO(read_file(dir.str("err1.txt")));
  REQUIRE(started);

  auto second = run_cli("run p.toml --date " + kDate + " --state state.db --json", dir);
  CHECK(second.exit_code == 2);
  CHECK_THAT(second.err, Catch::Contains("pid " + std::to_string(first.pid())) &&
                             Catch::Contains("started 20"));
  CHECK(second.out.empty());
  // run-job takes the same lock.
  CHECK(run_cli("run-job p.toml after --date " + kDate + " --state state.db", dir).exit_code == 2);
  // Another date is another run and is not blocked.
  write_file(dir.str("go-2026-11-29"), "");
  auto other = run_cli("run p.toml --date 2026-11-29 --state state.db", dir);
  CHECK(other.exit_code == 0);

  write_file(dir.str("go-" + kDate), "");
  int st = first.wait();
  reap_orphans();
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(read_file(dir.str("ran.txt")) == "hold\nhold\nafter\nafter\n");  // nothing ran for the refused hosts

  // The lock went with the first host: the pair runs again (here: nothing left to do, then --force).
  auto again = run_cli("run p.toml --date " + kDate + " --state state.db", dir);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("nothing to do"));
  auto forced = run_cli("run p.toml --date " + kDate + " --state state.db --force --json", dir);
  CHECK(forced.exit_code == 0);
  CHECK(json::parse(forced.out).at("try") == 2);  // the no-op rerun recorded no try
}

TEST_CASE("runs, show and history after a run with a retried job", "[state][cli][query]") {
  TempDir dir;
  // b fails its first attempt (ran.txt has one b line then) and succeeds on the retry.
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"q\"\n[pipeline.params]\nregion = \"eu\"\n"
             "[defaults]\nretry_jitter = false\nretry_delay = \"10ms\"\n" +
                 shell_job("a", "echo a >> ran.txt") +
                 shell_job("b", "echo b >> ran.txt; test $(grep -c b ran.txt) -ge 2", "\"a\"",
                           "retries = 2\n") +
                 shell_job("c", "echo c >> ran.txt", "\"b\""));
  // shell_job's deps are raw TOML; the strings above already carry their quotes.
  auto run = run_cli("run p.toml --date " + kDate + " --state s.db --json", dir);
  REQUIRE(run.exit_code == 0);
  auto result = json::parse(run.out);
  const std::string run_id(result.at("run_id").as_string());
  CHECK(result.at("jobs").at("b").at("attempts") == 2);
  // A second date, so `runs` has an order to show.
  REQUIRE(run_cli("run p.toml --date 2026-11-29 --state s.db --only a", dir).exit_code == 0);

  SECTION("runs --json: newest first, with status, try and counts by state") {
    auto r = run_cli("runs --json --state s.db", dir);
    REQUIRE(r.exit_code == 0);
    auto runs = json::parse(r.out).as_array();
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].at("logical_date") == "2026-11-29");
    auto& first = runs[1].as_object();
    CHECK(first.at("run_id") == json::value(run_id));
    CHECK(first.at("pipeline") == "q");
    CHECK(first.at("logical_date") == json::value(kDate));
    CHECK(first.at("status") == "success");
    CHECK(first.at("try_number") == 1);
    CHECK(!first.at("started_at").as_string().empty());
    CHECK(!first.at("ended_at").as_string().empty());
    CHECK(first.at("duration_ms").as_int64() >= 0);
    CHECK(first.at("counts_by_state") == json::parse(R"({"success":3})"));
    auto limited = json::parse(run_cli("runs --json --limit 1 --state s.db", dir).out).as_array();
    CHECK(limited.size() == 1);
    CHECK(json::parse(run_cli("runs --json --pipeline nope --state s.db", dir).out).as_array().empty());
  }

  SECTION("show RUN_ID --json: every job with state, attempts, duration and error") {
    auto r = run_cli("show " + run_id + " --json --state s.db", dir);
    REQUIRE(r.exit_code == 0);
    auto doc = json::parse(r.out).as_object();
    CHECK(doc.at("run_id") == json::value(run_id));
    CHECK(doc.at("status") == "success");
    CHECK(doc.at("try") == 1);
    CHECK(doc.at("params") == json::parse(R"({"region":"eu"})"));
    CHECK(!doc.at("file_hash").as_string().empty());
    std::map<std::string, json::object> jobs;
    for (auto& [name, j] : doc.at("jobs").as_object()) jobs[std::string(name)] = j.as_object();
    REQUIRE(jobs.size() == 3);
    CHECK(jobs["a"].at("attempts") == 1);
    CHECK(jobs["b"].at("attempts") == 2);
    CHECK(jobs["c"].at("attempts") == 1);
    for (auto& [name, j] : jobs) {
      INFO(name);
      CHECK(j.at("state") == "success");
      CHECK(j.at("error").is_null());
      CHECK(j.at("duration_ms").as_int64() >= 0);
    }
    CHECK(run_cli("show nope-20261128-000000 --state s.db", dir).exit_code == 2);
  }

  SECTION("show --pipeline --date: the same run as a table") {
    auto r = run_cli("show --pipeline q --date " + kDate + " --state s.db", dir);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains(run_id) && Catch::Contains("success (try 1)") &&
                          Catch::Contains("JOB") && Catch::Contains("ATTEMPTS"));
    bool b_row = false;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("b ", 0) == 0) b_row = line.find(" success ") != std::string::npos && line.find(" 2 ") != std::string::npos;
    CHECK(b_row);
    CHECK(run_cli("show --pipeline q --date 2020-01-01 --state s.db", dir).exit_code == 2);
  }

  SECTION("history JOB --json: attempts newest first, percentiles and failure rate") {
    auto r = run_cli("history b --pipeline q --json --state s.db", dir);
    REQUIRE(r.exit_code == 0);
    auto doc = json::parse(r.out).as_object();
    CHECK(doc.at("job") == "b");
    CHECK(doc.at("pipeline") == "q");
    auto& attempts = doc.at("attempts").as_array();
    REQUIRE(attempts.size() == 2);
    CHECK(attempts[0].at("attempt") == 2);
    CHECK(attempts[0].at("state") == "success");
    CHECK(attempts[0].at("error") == "");
    CHECK(attempts[1].at("attempt") == 1);
    CHECK(attempts[1].at("state") == "up_for_retry");
    CHECK(attempts[1].at("error") == "command exited with code 1");
    for (auto& a : attempts) {
      CHECK(a.at("run_id") == json::value(run_id));
      CHECK(a.at("try_number") == 1);
    }
    CHECK(doc.at("failure_rate").to_number<double>() == Approx(0.5));
    CHECK(doc.at("p50_ms") == attempts[0].at("duration_ms"));
    CHECK(doc.at("p95_ms") == attempts[0].at("duration_ms"));
    auto a = json::parse(run_cli("history a --pipeline q --json --state s.db", dir).out);
    CHECK(a.at("attempts").as_array().size() == 2);  // one per date
    CHECK(a.at("failure_rate").to_number<double>() == 0.0);
    CHECK(run_cli("history nope --pipeline q --state s.db", dir).exit_code == 2);
  }
}

TEST_CASE("rerun of a finished date: a no-op records nothing, a try cut off after its last job "
          "succeeded is finished by a new try that runs nothing", "[state][cli][resume]") {
  TempDir dir;
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"noop\"\n" + shell_job("a", "echo a >> ran.txt") +
                                    shell_job("b", "echo b >> ran.txt", "\"a\""));
  auto run = [&] { return run_cli("run p.toml --date " + kDate + " --state state.db --json", dir); };
  auto first = run();
  REQUIRE(first.exit_code == 0);
  CHECK(json::parse(first.out).at("try") == 1);

  auto again = run();
  CHECK(again.exit_code == 0);
  auto doc = json::parse(again.out);
  CHECK(doc.at("try") == 1);  // no new try
  CHECK(doc.at("status") == "success");
  CHECK(doc.at("jobs").at("b").at("carried_over") == true);

  // The host died after b's success was committed but before the run's end was: the run row
  // still says running. A rerun must not call that done; it finishes it in a new try.
  {
    jobhost::state::sql::Db db(dir.str("state.db"));
    db.exec("UPDATE runs SET status = 'running', ended_at = NULL");
  }
  auto finish = run();
  CHECK(finish.exit_code == 0);
  doc = json::parse(finish.out);
  CHECK(doc.at("try") == 2);
  CHECK(doc.at("status") == "success");
  CHECK(read_file(dir.str("ran.txt")) == "a\nb\n");  // no job ran again
  auto shown = run_cli("show --pipeline noop --date " + kDate + " --state state.db --json", dir);
  CHECK(json::parse(shown.out).at("status") == "success");
}
