// Crash safety: a host killed with SIGKILL at a seeded moment loses nothing. The rerun runs
// exactly the jobs the store had not recorded as succeeded, and no recorded success runs again.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "child_process.hpp"
#include "folder_watch.hpp"
#include "cli_support.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

constexpr int kJobs = 50;
const std::string kDate = "2026-11-28";

std::string job_name(int i) { return "j" + std::to_string(i); }

// 50 shell jobs whose shape and timing come from the seed: each job after the first extends a
// chain (depends on the previous job), fans out (depends on a random earlier job) or fans in
// (both). Each job first appends its name to ran.txt, then a quarter of them sleep briefly so
// several are running at once when the host is killed.
std::string crash_pipeline(std::mt19937& rng) {
  std::string t = "[pipeline]\nname = \"crash\"\nmax_parallel = 4\n";
  for (int i = 0; i < kJobs; ++i) {
    std::set<int> deps;
    if (i > 0) {
      int earlier = static_cast<int>(rng() % i);
      switch (rng() % 3) {
        case 0: deps = {i - 1}; break;
        case 1: deps = {earlier}; break;
        default: deps = {i - 1, earlier}; break;
      }
    }
    std::string dep_list;
    for (int d : deps) dep_list += (dep_list.empty() ? "\"" : ", \"") + job_name(d) + "\"";
    std::string cmd = "echo " + job_name(i) + " >> ran.txt";
    if (rng() % 4 == 0) cmd += "; sleep 0.0" + std::to_string(1 + rng() % 4);
    t += "[[jobs]]\nname = \"" + job_name(i) + "\"\nuses = \"utilities.shell\"\ndepends_on = [" +
         dep_list + "]\n[jobs.config]\ncommand = \"" + cmd + "\"\n";
  }
  return t;
}


size_t line_count(const std::string& path) {
  std::string text = read_file(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Job name -> newest state, as `jobhost show --pipeline crash --date D --json` reports it.
std::map<std::string, std::string> job_states(const TempDir& dir) {
  auto r = run_cli("show --pipeline crash --date " + kDate + " --json --state state.db", dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, std::string> out;
  auto doc = json::parse(r.out);
  for (auto& [name, j] : doc.at("jobs").as_object())
    out[std::string(name)] = std::string(j.at("state").as_string());
  return out;
}

void check_crash_resume(unsigned seed) {
  INFO("seed " << seed);
  become_subreaper();
  TempDir dir;
  std::mt19937 rng(seed);
  write_file(dir.str("p.toml"), crash_pipeline(rng));
  const size_t kill_after = 1 + rng() % (kJobs - 1);
  INFO("kill after " << kill_after << " lines in ran.txt");

  {
    ChildProcess host(dir.str(), {"run", "p.toml", "--date", kDate, "--state", "state.db"},
                      dir.str("out1.txt"), dir.str("err1.txt"));
    bool reached = wait_until(dir, host, [&] { return line_count(dir.str("ran.txt")) >= kill_after; });
    INFO(read_file(dir.str("err1.txt")));
    REQUIRE(reached);
    host.kill(SIGKILL);
    int st = host.wait();
    // The host may have finished on its own just before the signal; either is a valid moment.
    CHECK(((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || (WIFEXITED(st) && WEXITSTATUS(st) == 0)));
  }
  // Job processes outlive a killed host; once they are gone nothing more reaches ran.txt.
  reap_orphans();
  std::filesystem::rename(dir.str("ran.txt"), dir.str("ran1.txt"));
  auto before = job_states(dir);
  auto ran1 = lines_of(dir.str("ran1.txt"));

  std::set<std::string> succeeded, interrupted;
  for (auto& [job, state] : before) {
    if (state == "success") succeeded.insert(job);
    if (state == "running") interrupted.insert(job);
    // The store never claims a success the job did not reach.
    if (state == "success") CHECK(ran1.count(job) == 1);
  }

  ChildProcess rerun(dir.str(), {"run", "p.toml", "--date", kDate, "--state", "state.db", "--json"},
                     dir.str("out2.txt"), dir.str("err2.txt"));
  int st = rerun.wait();
  reap_orphans();
  INFO(read_file(dir.str("err2.txt")));
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  auto doc = json::parse(read_file(dir.str("out2.txt"))).as_object();
  CHECK(doc.at("status") == "success");
  CHECK(doc.at("jobs").as_object().size() == kJobs);

  // The rerun ran each job the store had not recorded as succeeded exactly once, and nothing else.
  auto ran2 = lines_of(dir.str("ran.txt"));
  std::multiset<std::string> expected;
  for (int i = 0; i < kJobs; ++i)
    if (!succeeded.count(job_name(i))) expected.insert(job_name(i));
  CHECK(ran2 == expected);
  for (auto& job : succeeded) {
    INFO("recorded as succeeded before the kill: " << job);
    CHECK(ran2.count(job) == 0);
    CHECK(doc.at("jobs").at(job).at("carried_over") == true);
  }
  for (int i = 0; i < kJobs; ++i) CHECK(ran1.count(job_name(i)) + ran2.count(job_name(i)) >= 1);

  // Every job ends succeeded in the store; attempts cut off by the kill say why they failed.
  for (auto& [job, state] : job_states(dir)) CHECK(state == "success");
  for (auto& job : interrupted) {
    auto h = run_cli("history " + job + " --pipeline crash --json --state state.db", dir);
    REQUIRE(h.exit_code == 0);
    bool lost = false;
    auto hist = json::parse(h.out);
    for (auto& a : hist.at("attempts").as_array())
      lost |= a.at("try_number") == 1 && a.at("state") == "failed" && a.at("error") == "host lost";
    INFO("running at the kill: " << job << "\n" << h.out);
    CHECK(lost);
  }
}

}  // namespace

// One test case per kill point, so ctest runs them in parallel.
#define KILL_POINT(seed) \
  TEST_CASE("crash resume: SIGKILL at seeded kill point " #seed, "[crash]") { check_crash_resume(seed); }

KILL_POINT(1)
KILL_POINT(2)
KILL_POINT(3)
KILL_POINT(4)
KILL_POINT(5)
KILL_POINT(6)
KILL_POINT(7)
KILL_POINT(8)
KILL_POINT(9)
KILL_POINT(10)
KILL_POINT(11)
KILL_POINT(12)
KILL_POINT(13)
KILL_POINT(14)
KILL_POINT(15)
KILL_POINT(16)
KILL_POINT(17)
KILL_POINT(18)
KILL_POINT(19)
KILL_POINT(20)

// Hidden from ctest; the `soak` target runs it. JOBHOST_SOAK_SEEDS sets how many kill points
// (default 200), starting after the seeds above.
TEST_CASE("crash resume soak: many seeded kill points", "[.soak]") {
  const char* env = std::getenv("JOBHOST_SOAK_SEEDS");
  const unsigned count = env && *env ? static_cast<unsigned>(std::stoul(env)) : 200;
  for (unsigned seed = 1000; seed < 1000 + count; ++seed) {
    DYNAMIC_SECTION("seed " << seed) { check_crash_resume(seed); }
  }
}
