// Thread mode: a job whose plugin code kills the host with a fatal signal (the "crashy" fixture)
// still leaves a true record. `jobhost run` dies of that signal (exit 128+N) after naming the job
// on stderr, and the next run of the same date records the attempt as crashed, not merely lost,
// and carries on with the rest of the run.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "cli_support.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::string kDate = "2026-11-28";
// Every job of these pipelines runs on the host's threads, whatever a plugin's default.
const std::string kThread = "isolation = \"thread\"\n";

// The crashy fixture in a private plugin folder (mode 755, as the loader demands); the options
// every command of a test uses.
std::string setup(const TempDir& dir) {
  fs::create_directories(dir.str("plug"));
  fs::copy_file(JOBHOST_FIXTURE_PLUGIN_DIR "/crashy.so", dir.str("plug/crashy.so"));
  ::chmod(dir.str("plug/crashy.so").c_str(), 0755);
  ::chmod(dir.str("plug").c_str(), 0755);
  return " --plugin-path plug --state state/state.db --date " + kDate;
}

std::string job(const std::string& name, const std::string& uses, const std::string& deps = "",
                const std::string& config = "") {
  return "[[jobs]]\nname = \"" + name + "\"\nuses = \"" + uses + "\"\ndepends_on = [" + deps +
         "]\nconfig = { " + config + " }\n";
}

// first -> boom -> after, one at a time; `boom` uses `boom_type`.
void write_chain(const TempDir& dir, const std::string& boom_type) {
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"chain\"\nmax_parallel = 1\n" + kThread +
                                    job("first", "crashy.ok") +
                                    job("boom", boom_type, "\"first\"") +
                                    job("after", "crashy.ok", "\"boom\""));
}

// The run as `show --json` sees it; empty before it is recorded.
json::object show(const TempDir& dir, const std::string& pipeline) {
  auto r = run_cli("show --pipeline " + pipeline + " --date " + kDate +
                       " --json --state state/state.db", dir);
  if (r.exit_code != 0) return {};
  return json::parse(r.out).as_object();
}

std::string job_state(const json::object& doc, const std::string& job) {
  if (auto* jobs = doc.if_contains("jobs"))
    if (auto* j = jobs->as_object().if_contains(job)) return json::value_to<std::string>(j->at("state"));
  return "";
}

// The error of attempt `attempt` of try 1 of `job`, as `history --json` shows it.
std::string first_try_error(const TempDir& dir, const std::string& pipeline,
                            const std::string& job, int attempt = 1) {
  auto r = run_cli("history " + job + " --pipeline " + pipeline + " --json --state state/state.db", dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json::value doc = json::parse(r.out);
  for (auto& a : doc.at("attempts").as_array()) {
    if (a.at("try_number") != 1 || a.at("attempt") != attempt) continue;
    CHECK(a.at("state") == "failed");
    return a.at("error").is_string() ? json::value_to<std::string>(a.at("error")) : "";
  }
  return "(no attempt " + std::to_string(attempt) + " in try 1)\n" + r.out;
}

std::vector<fs::path> crash_files(const TempDir& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir.str("state/crashes"), ec)) out.push_back(e.path());
  return out;
}

// A job of the chain dies of `signal`; then, with the job type fixed, the next run records it.
void check_crash_then_resume(const std::string& crashing_type, int signal,
                             const std::string& signal_name) {
  TempDir dir;
  const std::string opts = setup(dir);
  write_chain(dir, crashing_type);

  auto crashed = run_cli("run p.toml" + opts, dir);
  INFO(crashed.err);
  CHECK(crashed.exit_code == 128 + signal);
  CHECK(crashed.err.find("jobhost: fatal signal " + std::to_string(signal) + " (" + signal_name +
                         ") in job 'boom' of pipeline chain (run chain-") != std::string::npos);
  CHECK(crashed.err.find("attempt 1); the next run of this date records it and resumes") !=
        std::string::npos);
  REQUIRE(crash_files(dir).size() == 1);
  CHECK(read_file(crash_files(dir)[0]).find("\tboom\t1\n") != std::string::npos);

  // The plugin is fixed (the job now succeeds): the next run records the crash and carries on.
  write_chain(dir, "crashy.ok");
  auto resumed = run_cli("run p.toml" + opts, dir);
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  const std::string crash_error =
      "host crashed during job boom: signal " + std::to_string(signal) + " (" + signal_name + ")";
  CHECK(resumed.err.find("1 attempt(s) of an earlier try were interrupted (" + crash_error + ")") !=
        std::string::npos);
  CHECK(first_try_error(dir, "chain", "boom") == crash_error);
  auto doc = show(dir, "chain");
  for (auto* name : {"first", "boom", "after"}) {
    INFO(name);
    CHECK(job_state(doc, name) == "success");
  }
  CHECK(doc.at("status") == "success");
  CHECK(crash_files(dir).empty());  // applied, so removed
}

// `sleeper` runs on while `boom` crashes the host: boom starts once the test has seen sleeper's
// start on record (the gate file). `sleeper_type`/`boom_type` replace the crashing job types.
void write_beside(const TempDir& dir, const std::string& sleeper_type, const std::string& boom_type) {
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"beside\"\nmax_parallel = 2\n" + kThread + job("sleeper", sleeper_type) +
                 job("gate", "utilities.file_sensor", "", "path = 'go', poke_interval = '20ms'") +
                 job("boom", boom_type, "\"gate\""));
}

void crash_beside_a_running_job(const TempDir& dir) {
  write_beside(dir, "crashy.hang", "crashy.segfault");
  ChildProcess host(dir.str(), {"run", "p.toml", "--plugin-path", "plug", "--state",
                                "state/state.db", "--date", kDate},
                    dir.str("run1.out"), dir.str("run1.err"));
  REQUIRE(eventually([&] { return job_state(show(dir, "beside"), "sleeper") == "running"; }));
  write_file(dir.str("go"), "");
  const int status = host.wait();
  INFO(read_file(dir.str("run1.err")));
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
}

// After the crash, with the job types fixed: the next run succeeds and leaves nothing running.
void resume_beside(const TempDir& dir, const std::string& opts) {
  write_beside(dir, "crashy.ok", "crashy.ok");
  auto resumed = run_cli("run p.toml" + opts, dir);
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  auto doc = show(dir, "beside");
  for (auto* name : {"sleeper", "gate", "boom"}) {
    INFO(name);
    CHECK(job_state(doc, name) == "success");
  }
  CHECK(crash_files(dir).empty());
}

}  // namespace

TEST_CASE("thread crash: a segfaulting job exits 139 naming it, and the next run records the crash",
          "[isolation][thread_crash]") {
  check_crash_then_resume("crashy.segfault", 11, "SIGSEGV");
}

TEST_CASE("thread crash: an aborting job exits 134 naming it, and the next run records the crash",
          "[isolation][thread_crash]") {
  check_crash_then_resume("crashy.abort", 6, "SIGABRT");
}

TEST_CASE("thread crash: attempts running beside the crash are host lost, naming the job that crashed",
          "[isolation][thread_crash]") {
  TempDir dir;
  const std::string opts = setup(dir);
  crash_beside_a_running_job(dir);
  resume_beside(dir, opts);
  CHECK(first_try_error(dir, "beside", "boom") ==
        "host crashed during job boom: signal 11 (SIGSEGV)");
  CHECK(first_try_error(dir, "beside", "sleeper") ==
        "host lost (it crashed during job boom: signal 11 (SIGSEGV))");
}

TEST_CASE("thread crash: a garbled crash file falls back to host lost", "[isolation][thread_crash]") {
  TempDir dir;
  const std::string opts = setup(dir);
  crash_beside_a_running_job(dir);
  REQUIRE(crash_files(dir).size() == 1);
  const fs::path file = crash_files(dir)[0];
  const std::string line = read_file(file);
  write_file(file, line.substr(0, line.size() / 2));  // cut short, as by a dying writer
  resume_beside(dir, opts);
  CHECK(first_try_error(dir, "beside", "sleeper") == "host lost");
}

TEST_CASE("thread crash: without a run store the job is still named on stderr",
          "[isolation][thread_crash]") {
  TempDir dir;
  setup(dir);
  write_chain(dir, "crashy.segfault");
  auto r = run_cli("run p.toml --plugin-path plug --no-state", dir);
  CHECK(r.exit_code == 139);
  CHECK(r.err.find("jobhost: fatal signal 11 (SIGSEGV) in job 'boom' of pipeline chain") !=
        std::string::npos);
  CHECK(r.err.find("nothing is recorded (no run store)") != std::string::npos);
  CHECK(!fs::exists(dir.str("state")));
}
