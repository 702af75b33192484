// `jobhost serve` as a process: catch-up in order within max_active_runs, no tick twice after
// a restart, a run cut off by kill -9 resumed by the next daemon, one daemon per store, files
// picked up while it runs, SIGTERM exits cleanly.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "cli_support.hpp"
#include "reliability/child_process.hpp"
#include "schedule/cron.hpp"

using namespace jobhost::test;
namespace json = boost::json;
using jobhost::schedule::format_instant;
using jobhost::schedule::Instant;

namespace {

Instant hour_floor() {
  return std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now());
}

json::array runs(const TempDir& dir) {
  auto r = run_cli("runs --json --limit 100 --state s.db", dir);
  if (r.exit_code != 0 || r.out.empty()) return {};
  return json::parse(r.out).as_array();
}

int count(const json::array& runs, const std::string& status) {
  int n = 0;
  for (auto& r : runs) n += r.at("status") == json::value(status);
  return n;
}

struct Daemon {
  Daemon(const TempDir& dir, const std::string& name)
      : err(dir.str(name + ".err")),
        child(dir.str(), {"serve", "--pipelines", "pl", "--state", "s.db", "--drain-grace", "5s", "--listen", "127.0.0.1:0"},
              dir.str(name + ".out"), err) {}
  bool wait_ready() { return eventually([&] { return read_file(err).find("serve: ready") != std::string::npos; }); }
  int stop() {
    child.kill(SIGTERM);
    int st = child.wait();
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  std::string err;
  ChildProcess child;
};

// A pipeline ticking every hour, catching up the three hours before now.
std::string catchup_pipeline(const std::string& name, const std::string& job_uses,
                             const std::string& config, int max_active = 1) {
  const Instant end = hour_floor();
  const Instant start = end - std::chrono::minutes(150);
  return "[pipeline]\nname = \"" + name + "\"\nschedule = \"0 * * * *\"\ncatchup = true\nmax_active_runs = " +
         std::to_string(max_active) + "\nstart_date = \"" + format_instant(start) + "\"\nend_date = \"" +
         format_instant(end) + "\"\n[[jobs]]\nname = \"work\"\nuses = \"" + job_uses + "\"\nconfig = { " +
         config + " }\n";
}

}  // namespace

TEST_CASE("serve: catches up missed ticks in order one at a time and never twice across restarts") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  write_file(dir.str("pl/hourly.toml"), catchup_pipeline("hourly", "utilities.noop", ""));
  {
    Daemon d(dir, "first");
    REQUIRE(d.wait_ready());
    REQUIRE(eventually([&] { return count(runs(dir), "success") == 3; }));
    CHECK(d.stop() == 0);
  }
  auto all = runs(dir);
  REQUIRE(all.size() == 3);
  const Instant end = hour_floor();
  // Newest first; each tick's run is identified by its instant; one at a time.
  for (int i = 0; i < 3; ++i)
    CHECK(all[i].at("logical_time") == json::value(format_instant(end - std::chrono::hours(i))));
  CHECK(all[1].at("ended_at").as_string() <= all[0].at("started_at").as_string());
  CHECK(all[2].at("ended_at").as_string() <= all[1].at("started_at").as_string());

  Daemon again(dir, "second");
  REQUIRE(again.wait_ready());
  CHECK(again.stop() == 0);
  CHECK(runs(dir).size() == 3);
  CHECK(read_file(dir.str("second.err")).find("serve: run ") == std::string::npos);  // started nothing
}

TEST_CASE("serve: a run cut off by kill -9 is resumed by the next daemon, not run twice") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  // One tick (the last hour), whose job waits for a file the test creates later.
  const Instant end = hour_floor();
  write_file(dir.str("pl/wait.toml"),
             "[pipeline]\nname = \"wait\"\nschedule = \"0 * * * *\"\ncatchup = true\nstart_date = \"" +
                 format_instant(end - std::chrono::minutes(30)) + "\"\nend_date = \"" + format_instant(end) +
                 "\"\n[[jobs]]\nname = \"work\"\nuses = \"utilities.file_sensor\"\nconfig = { path = \"" +
                 dir.str("flag") + "\", poke_interval = \"50ms\", timeout = \"5m\" }\n");
  {
    Daemon d(dir, "first");
    REQUIRE(eventually([&] { return count(runs(dir), "running") == 1; }));
    d.child.kill(SIGKILL);
    d.child.wait();
  }
  Daemon d(dir, "second");
  REQUIRE(d.wait_ready());
  CHECK(read_file(dir.str("second.err")).find("resuming the run") != std::string::npos);
  write_file(dir.str("flag"), "x");
  REQUIRE(eventually([&] { return count(runs(dir), "success") == 1; }));
  CHECK(d.stop() == 0);
  auto all = runs(dir);
  REQUIRE(all.size() == 1);  // the same run, resumed
  CHECK(all[0].at("logical_time") == json::value(format_instant(end)));
  CHECK(all[0].at("try_number").to_number<int>() == 2);
}

// Whole seconds of an ISO-8601 UTC timestamp with or without milliseconds.
Instant whole_seconds(const std::string& iso) { return *jobhost::schedule::parse_instant(iso.substr(0, 19) + "Z"); }

TEST_CASE("serve: a tick's run is prepared ahead and its first job starts at the tick, not before") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  write_file(dir.str("pl/minutely.toml"),
             "[pipeline]\nname = \"minutely\"\nschedule = \"* * * * *\"\n"
             "[[jobs]]\nname = \"work\"\nuses = \"utilities.noop\"\n");
  Daemon d(dir, "first");
  REQUIRE(d.wait_ready());
  // The first tick after the daemon began watching is at most a minute away.
  REQUIRE(eventually([&] { return count(runs(dir), "success") >= 1; }, std::chrono::seconds(100)));
  CHECK(d.stop() == 0);
  auto all = runs(dir);
  const json::object& first = all.back().as_object();  // newest first
  const std::string tick(first.at("logical_time").as_string());
  CHECK(tick.substr(16) == ":00Z");
  // Recorded as started at its tick, though it was locked and recorded before it.
  CHECK(first.at("started_at") == json::value(tick.substr(0, 19) + ".000Z"));
  auto history = run_cli("history work --pipeline minutely --json --state s.db", dir);
  REQUIRE(history.exit_code == 0);
  auto attempts = json::parse(history.out).at("attempts").as_array();
  REQUIRE(!attempts.empty());
  const std::string job_start(attempts.back().at("started_at").as_string());
  CHECK(whole_seconds(job_start) >= whole_seconds(tick));
  CHECK(whole_seconds(job_start) <= whole_seconds(tick) + std::chrono::seconds(5));
}

TEST_CASE("serve: a second daemon on the same store exits 2 naming the first") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  Daemon d(dir, "first");
  REQUIRE(d.wait_ready());
  auto second = run_cli("serve --pipelines pl --state s.db --listen 127.0.0.1:0", dir);
  CHECK(second.exit_code == 2);
  CHECK(second.err.find("already served by another jobhost serve (pid " + std::to_string(d.child.pid())) !=
        std::string::npos);
  CHECK(d.stop() == 0);
}

TEST_CASE("serve: a pipeline file added while it runs is scheduled within seconds") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  Daemon d(dir, "first");
  REQUIRE(d.wait_ready());
  write_file(dir.str("pl/late.toml"), catchup_pipeline("late", "utilities.noop", "", 3));
  REQUIRE(eventually([&] { return count(runs(dir), "success") == 3; }));
  // A broken version is reported and the last valid one stays.
  write_file(dir.str("pl/late.toml"), "[pipeline]\nname = \"late\"\nschedule = \"not cron\"\n");
  REQUIRE(eventually([&] { return read_file(d.err).find("late.toml:3:") != std::string::npos; }));
  CHECK(d.stop() == 0);
}

TEST_CASE("serve: a pipeline triggered by another runs once for the same logical time") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  write_file(dir.str("pl/up.toml"), catchup_pipeline("up", "utilities.noop", ""));
  write_file(dir.str("pl/down.toml"),
             "[pipeline]\nname = \"down\"\n[pipeline.trigger]\nafter = [\"up\"]\n"
             "[[jobs]]\nname = \"work\"\nuses = \"utilities.noop\"\n");
  Daemon d(dir, "first");
  auto of = [&](const std::string& p) {
    json::array out;
    for (auto& r : runs(dir))
      if (r.at("pipeline") == json::value(p)) out.push_back(r);
    return out;
  };
  REQUIRE(eventually([&] { return count(of("up"), "success") == 3 && count(of("down"), "success") == 3; }));
  std::set<std::string> up, down;
  for (auto& r : of("up")) up.insert(std::string(r.at("logical_time").as_string()));
  for (auto& r : of("down")) down.insert(std::string(r.at("logical_time").as_string()));
  CHECK(up == down);
  CHECK(d.stop() == 0);
}

TEST_CASE("serve: matching files that settled start a run once until they change") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  std::filesystem::create_directories(dir.str("in"));
  write_file(dir.str("pl/files.toml"),
             "[pipeline]\nname = \"files\"\n[pipeline.trigger]\nfiles = [\"" + dir.str("in") +
                 "/*.csv\"]\nsettle = \"200ms\"\n[[jobs]]\nname = \"work\"\nuses = \"utilities.noop\"\n");
  Daemon d(dir, "first");
  REQUIRE(d.wait_ready());
  CHECK(runs(dir).empty());  // no files yet
  write_file(dir.str("in/a.csv"), "x\n1\n");
  REQUIRE(eventually([&] { return count(runs(dir), "success") == 1; }));
  write_file(dir.str("in/b.csv"), "x\n2\n");
  REQUIRE(eventually([&] { return count(runs(dir), "success") == 2; }));
  CHECK(d.stop() == 0);
  // A restart does not fire the same files again.
  Daemon again(dir, "second");
  REQUIRE(again.wait_ready());
  CHECK(again.stop() == 0);
  CHECK(runs(dir).size() == 2);
}

TEST_CASE("serve: jobhost run beside the daemon works and meets its per-run lock") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  const Instant end = hour_floor();
  const std::string tick = format_instant(end);
  write_file(dir.str("pl/wait.toml"),
             "[pipeline]\nname = \"wait\"\nschedule = \"0 * * * *\"\ncatchup = true\nstart_date = \"" +
                 format_instant(end - std::chrono::minutes(30)) + "\"\nend_date = \"" + tick +
                 "\"\n[[jobs]]\nname = \"work\"\nuses = \"utilities.file_sensor\"\nconfig = { path = \"" +
                 dir.str("flag") + "\", poke_interval = \"50ms\", timeout = \"5m\" }\n");
  Daemon d(dir, "first");
  REQUIRE(eventually([&] { return count(runs(dir), "running") == 1; }));
  // The tick the daemon is running: refused, naming the daemon's process.
  auto same = run_cli("run pl/wait.toml --date " + tick + " --state s.db", dir);
  CHECK(same.exit_code != 0);
  CHECK(same.err.find(std::to_string(d.child.pid())) != std::string::npos);
  // Another logical time of the same pipeline runs beside it.
  write_file(dir.str("flag"), "x");
  auto other = run_cli("run pl/wait.toml --date 2026-11-28 --state s.db", dir);
  CHECK(other.exit_code == 0);
  REQUIRE(eventually([&] { return count(runs(dir), "success") == 2; }));
  CHECK(d.stop() == 0);
}
