// Deferred attempts survive their host: after kill -9 the next run re-attaches them (polls the
// recorded handle) and never starts their remote work again; a job type that cannot re-attach
// runs again with the same idempotency key. SIGTERM and timeouts reach deferred attempts
// through the job type's cancel(). The "defer" fixture keeps its starts and cancels in files.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "child_process.hpp"
#include "cli_support.hpp"
#include "state/sqlite_handle.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

const std::string kDate = "2026-11-28";

// The deferral fixture in a private plugin folder (mode 755, as the loader demands).
std::string plugin_dir(const TempDir& dir) {
  std::filesystem::create_directories(dir.str("plug"));
  std::filesystem::copy_file(JOBHOST_FIXTURE_PLUGIN_DIR "/deferral.so", dir.str("plug/deferral.so"));
  ::chmod(dir.str("plug/deferral.so").c_str(), 0755);
  ::chmod(dir.str("plug").c_str(), 0755);
  return " --plugin-path plug --state state.db";
}

std::string job(const std::string& name, const std::string& uses, const std::string& config,
                const std::string& deps = "") {
  return "[[jobs]]\nname = \"" + name + "\"\nuses = \"" + uses + "\"\ndepends_on = [" + deps +
         "]\nconfig = { " + config + " }\n";
}


json::object show(const TempDir& dir, const std::string& pipeline) {
  auto r = run_cli("show --pipeline " + pipeline + " --date " + kDate + " --json --state state.db", dir);
  if (r.exit_code != 0) return {};
  return json::parse(r.out).as_object();
}

int count_in_state(const json::object& doc, const std::string& state) {
  int n = 0;
  if (auto* jobs = doc.if_contains("jobs"))
    for (auto& [name, j] : jobs->as_object()) n += j.at("state") == json::value(state);
  return n;
}

// Polls the store (through `jobhost show`) until `n` jobs are deferred, or the child ended or
// 60 s passed. Returns the last document.
json::object wait_until_deferred(const TempDir& dir, const std::string& pipeline, int n,
                                 ChildProcess& child) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  json::object doc;
  while (std::chrono::steady_clock::now() < deadline && !child.poll()) {
    doc = show(dir, pipeline);
    if (count_in_state(doc, "deferred") == n) break;
  }
  return doc;
}

}  // namespace

TEST_CASE("deferral crash: kill -9 while attempts are deferred, then a rerun re-attaches without a second start",
          "[reliability][deferral]") {
  TempDir dir;
  const std::string opts = plugin_dir(dir);
  const std::string wait = "delay_ms = 20, starts_file = 'starts.txt', done_file = 'done'";
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"remote\"\nmax_parallel = 1\n" + job("r1", "defer.remote", wait) +
                 job("r2", "defer.remote", wait) + job("r3", "defer.remote", wait) +
                 job("once", "defer.remote_once", wait) +
                 job("after", "defer.remote", "polls = 1, starts_file = 'starts.txt'", "\"r1\""));
  {
    ChildProcess host(dir.str(), {"run", "p.toml", "--date", kDate, "--plugin-path", "plug",
                                  "--state", "state.db"},
                      dir.str("out1.txt"), dir.str("err1.txt"));
    auto doc = wait_until_deferred(dir, "remote", 4, host);
    INFO(read_file(dir.str("err1.txt")));
    REQUIRE(count_in_state(doc, "deferred") == 4);
    // While they wait, show says what they wait on and when they are polled next.
    auto& r1 = doc.at("jobs").at("r1").as_object();
    CHECK(r1.at("handle") == "r1:3");
    CHECK(r1.at("next_poll_at").is_string());
    CHECK(r1.at("idempotency_key").as_string().size() == 35);
    auto hist = run_cli("history r1 --pipeline remote --json --state state.db", dir);
    REQUIRE(hist.exit_code == 0);
    auto hist_doc = json::parse(hist.out);
    auto& a = hist_doc.at("attempts").at(0);
    CHECK(a.at("state") == "deferred");
    CHECK(a.at("handle") == "r1:3");
    CHECK(a.at("next_poll_at").is_string());
    host.kill(SIGKILL);
    host.wait();
  }
  auto starts1 = lines_of(dir.str("starts.txt"));
  CHECK(starts1.size() == 4);

  write_file(dir.str("done"), "");
  auto rerun = run_cli("run p.toml --date " + kDate + " --json" + opts, dir);
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  auto doc = json::parse(rerun.out).as_object();
  CHECK(doc.at("try") == 2);
  // Re-attachable attempts were polled, not started again: one start each, the same key.
  auto starts = lines_of(dir.str("starts.txt"));
  std::map<std::string, std::set<std::string>> keys;
  std::map<std::string, int> count;
  for (auto& line : starts) {
    auto space = line.find(' ');
    keys[line.substr(0, space)].insert(line.substr(space + 1));
    ++count[line.substr(0, space)];
  }
  for (auto name : {"r1", "r2", "r3"}) {
    INFO(name);
    CHECK(count[name] == 1);
    auto& j = doc.at("jobs").at(name).as_object();
    CHECK(j.at("state") == "success");
    CHECK(j.at("attempts") == 1);  // not counted twice
    CHECK(j.at("outputs").at("reattached") == "yes");
    CHECK(j.at("outputs").at("key") == json::value(*keys[name].begin()));
  }
  // The job type that cannot re-attach started again, with the same idempotency key: an
  // engine that deduplicates on it returns the same remote run.
  CHECK(count["once"] == 2);
  CHECK(keys["once"].size() == 1);
  CHECK(doc.at("jobs").at("once").at("outputs").at("reattached") == "no");
  CHECK(count["after"] == 1);
  CHECK_THAT(rerun.err, Catch::Contains("job 'r1': attempt 1 was deferred when its host was lost; re-attached"));
  CHECK_THAT(rerun.err, Catch::Contains("job 'once': attempt 1 was deferred when its host was lost "
                                        "(its job type cannot re-attach): it runs again"));

  // The store agrees: one attempt for r1 (moved into try 2); the lost one of 'once' is failed.
  auto shown = show(dir, "remote");
  CHECK(shown.at("jobs").at("r1").at("attempts") == 1);
  CHECK(shown.at("jobs").at("once").at("attempts") == 2);
  jobhost::state::sql::Db db(dir.str("state.db"));
  jobhost::state::sql::Stmt st(db,
                               "SELECT try_number, state, moved_to, lost FROM attempts "
                               "WHERE job = 'r1' ORDER BY id");
  std::vector<std::string> rows;
  while (st.step())
    rows.push_back(std::to_string(st.int64(0)) + " " + st.text(1) + " " + st.text(2) + " " +
                   std::to_string(st.int64(3)));
  CHECK(rows == std::vector<std::string>{"1 reattached 2 0", "2 success  0"});
  // A third run has nothing to do.
  auto third = run_cli("run p.toml --date " + kDate + opts, dir);
  CHECK(third.exit_code == 0);
  CHECK_THAT(third.err, Catch::Contains("nothing to do"));
}

TEST_CASE("deferral crash: SIGTERM cancels deferred attempts and the rerun starts them with new keys",
          "[reliability][deferral]") {
  TempDir dir;
  const std::string opts = plugin_dir(dir);
  const std::string wait =
      "delay_ms = 20, starts_file = 'starts.txt', done_file = 'done', cancel_file = 'cancels.txt'";
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"term\"\nmax_parallel = 1\n" +
                                    job("a", "defer.remote", wait) + job("b", "defer.remote", wait));
  {
    ChildProcess host(dir.str(), {"run", "p.toml", "--date", kDate, "--plugin-path", "plug",
                                  "--state", "state.db"},
                      dir.str("out1.txt"), dir.str("err1.txt"));
    REQUIRE(count_in_state(wait_until_deferred(dir, "term", 2, host), "deferred") == 2);
    host.kill(SIGTERM);
    int st = host.wait();
    INFO(read_file(dir.str("err1.txt")));
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 143);
  }
  CHECK(lines_of(dir.str("cancels.txt")) == std::multiset<std::string>{"a a:3", "b b:3"});
  auto doc = show(dir, "term");
  CHECK(doc.at("status") == "cancelled");
  CHECK(count_in_state(doc, "cancelled") == 2);

  write_file(dir.str("done"), "");
  auto rerun = run_cli("run p.toml --date " + kDate + opts, dir);
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  std::map<std::string, std::set<std::string>> keys;
  for (auto& line : lines_of(dir.str("starts.txt"))) {
    auto space = line.find(' ');
    keys[line.substr(0, space)].insert(line.substr(space + 1));
  }
  // A cancelled attempt ended: the next one is new work, under a new key.
  CHECK(keys["a"].size() == 2);
  CHECK(keys["b"].size() == 2);
}

TEST_CASE("deferral: bad deferrals fail their attempt with a message naming the plugin",
          "[reliability][deferral]") {
  TempDir dir;
  const std::string opts = plugin_dir(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"bad\"\n" + job("np", "defer.no_poll", "") +
                                    job("nd", "defer.no_defer_call", "") +
                                    job("hh", "defer.huge_handle", ""));
  auto r = run_cli("run p.toml --date " + kDate + " --json" + opts, dir);
  CHECK(r.exit_code == 1);
  auto jobs = json::parse(r.out).at("jobs");
  CHECK(jobs.at("np").at("error") ==
        "job type 'defer.no_poll' (plug/deferral.so) returned JH_STATUS_DEFERRED but has no poll entry");
  CHECK(jobs.at("nd").at("error") ==
        "job type 'defer.no_defer_call' (plug/deferral.so) returned JH_STATUS_DEFERRED without "
        "calling defer()");
  CHECK(jobs.at("hh").at("error") ==
        "job type 'defer.huge_handle' (plug/deferral.so) returned JH_STATUS_DEFERRED after a "
        "refused defer() with a handle of 65537 bytes; the limit is 65536");
  for (auto name : {"np", "nd", "hh"}) CHECK(jobs.at(name).at("state") == "failed");
}

TEST_CASE("deferral: a cancel() that never returns is abandoned after the cancel grace or its worker is stopped",
          "[reliability][deferral]") {
  // Thread mode abandons the stuck call; process mode stops the worker: either way, on time.
  const std::string isolation = GENERATE(std::string("thread"), std::string("process"));
  INFO(isolation);
  TempDir dir;
  const std::string opts = plugin_dir(dir);
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"hang\"\nisolation = \"" + isolation + "\"\n[[jobs]]\nname = \"h\"\nuses = \"defer.remote\"\n"
             "timeout = \"300ms\"\nconfig = { delay_ms = 20, done_file = 'never', hang_cancel = true, "
             "cancel_file = 'cancels.txt' }\n");
  auto start = std::chrono::steady_clock::now();
  auto r = run_cli("run p.toml --date " + kDate + " --json --cancel-grace 300ms" + opts, dir);
  auto took = std::chrono::steady_clock::now() - start;
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto doc = json::parse(r.out);
  auto& h = doc.at("jobs").at("h");
  CHECK(h.at("state") == "failed");
  if (isolation == "thread") CHECK(h.at("error") == "timed out after 300 ms");
  else CHECK(h.at("error") == "timed out after 300 ms (cancelled; cancelling its remote work failed: worker process "
                              "stopped (SIGTERM) after it did not stop when asked)");
  CHECK(lines_of(dir.str("cancels.txt")).size() == 1);
  if (isolation == "thread")
    CHECK_THAT(r.err, Catch::Contains("ignored cancellation after timing out; abandoned"));
  else
    CHECK_THAT(r.err, !Catch::Contains("abandoned"));
  CHECK(took < std::chrono::seconds(30));  // not the cancel()'s 60 s
}

// One remote job `r` in pipeline `name`, started by `jobhost <command...>`, killed with SIGKILL
// once it waits deferred; then its remote work is done. Returns the plugin options for reruns.
std::string kill_while_one_deferred(const TempDir& dir, const std::string& name,
                                    std::vector<std::string> command) {
  const std::string opts = plugin_dir(dir);
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"" + name + "\"\n" +
                 job("r", "defer.remote", "delay_ms = 20, starts_file = 'starts.txt', done_file = 'done'"));
  for (const char* a : {"--date", kDate.c_str(), "--plugin-path", "plug", "--state", "state.db"})
    command.emplace_back(a);
  ChildProcess host(dir.str(), command, dir.str("out1.txt"), dir.str("err1.txt"));
  REQUIRE(count_in_state(wait_until_deferred(dir, name, 1, host), "deferred") == 1);
  host.kill(SIGKILL);
  host.wait();
  write_file(dir.str("done"), "");
  return opts;
}

TEST_CASE("deferral crash: --force after kill -9 starts new remote work under a new key",
          "[reliability][deferral]") {
  TempDir dir;
  const std::string opts = kill_while_one_deferred(dir, "forced", {"run", "p.toml"});
  auto r = run_cli("run p.toml --force --date " + kDate + " --json" + opts, dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("(it is forced to run again): it runs again"));
  auto starts = lines_of(dir.str("starts.txt"));
  REQUIRE(starts.size() == 2);
  CHECK(*starts.begin() != *starts.rbegin());  // "r <key>" twice, with two keys
  CHECK(json::parse(r.out).at("jobs").at("r").at("outputs").at("reattached") == "no");
}

TEST_CASE("deferral crash: run-job again after kill -9 re-attaches (an engine retrying its task)",
          "[reliability][deferral]") {
  TempDir dir;
  const std::string opts = kill_while_one_deferred(dir, "task", {"run-job", "p.toml", "r"});
  auto r = run_cli("run-job p.toml r --date " + kDate + " --json" + opts, dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(lines_of(dir.str("starts.txt")).size() == 1);
  CHECK(json::parse(r.out).at("jobs").at("r").at("outputs").at("reattached") == "yes");
}
