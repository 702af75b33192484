// Process mode: a plugin loaded from outside jobhost's own folder runs in warm worker processes
// by default. Every way a worker dies becomes a failed attempt with its cause; retries apply;
// the run carries on and is never left `running`; timeouts stop the worker (SIGTERM, then
// SIGKILL); limits say which one was hit; nothing the plugin started outlives the run.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_support.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::string kDate = "2026-11-28";

// The crash fixtures in a private plugin folder, and a worker wrapper that counts starts
// (JOBHOST_WORKER): the options every command of a test uses.
std::string setup(const TempDir& dir) {
  fs::create_directories(dir.str("plug"));
  for (auto* name : {"crashy.so", "crashy_cpp.so"}) {
    fs::copy_file(fs::path(JOBHOST_FIXTURE_PLUGIN_DIR) / name, dir.str(std::string("plug/") + name));
    ::chmod(dir.str(std::string("plug/") + name).c_str(), 0755);
  }
  ::chmod(dir.str("plug").c_str(), 0755);
  write_file(dir.str("worker.sh"), "#!/bin/sh\necho started >> '" + dir.str("worker-starts") + "'\nexec '" +
                                       JOBHOST_WORKER_BINARY + "' \"$@\"\n");
  ::chmod(dir.str("worker.sh").c_str(), 0755);
  return " --plugin-path plug --state state.db --date " + kDate;
}

// For run_cli: the worker wrapper through the environment.
std::string launcher(const TempDir& dir) { return "JOBHOST_WORKER='" + dir.str("worker.sh") + "'"; }

std::string job(const std::string& name, const std::string& uses, const std::string& extra = "") {
  return "[[jobs]]\nname = \"" + name + "\"\nuses = \"" + uses + "\"\n" + extra;
}

json::object show(const TempDir& dir, const std::string& pipeline) {
  auto r = run_cli("show --pipeline " + pipeline + " --date " + kDate + " --json --state state.db", dir);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out).as_object();
}

std::string state_of(const json::object& doc, const std::string& job) {
  return json::value_to<std::string>(doc.at("jobs").at(job).at("state"));
}

std::string error_of(const json::object& doc, const std::string& job) {
  const auto& e = doc.at("jobs").at(job).at("error");
  return e.is_string() ? json::value_to<std::string>(e) : "";
}

int worker_starts(const TempDir& dir) { return static_cast<int>(lines_of(dir.str("worker-starts")).size()); }

// Processes whose command line mentions `needle` (the test's own folder): workers and whatever
// a plugin forked from one.
std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> out;
  DIR* d = opendir("/proc");
  while (dirent* e = d ? readdir(d) : nullptr) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    std::ifstream f("/proc/" + std::string(e->d_name) + "/cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmd.find(needle) != std::string::npos) out.push_back(pid);
  }
  if (d) closedir(d);
  return out;
}

}  // namespace

TEST_CASE("process isolation: each way a worker dies is a failed attempt with its cause, and the run carries on") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"deaths\"\n" + job("seg", "crashy.segfault") +
                                    job("abort", "crashy.abort") + job("exit3", "crashy.exit3") +
                                    job("cpp_throw", "crashy_cpp.throw") + job("cpp_seg", "crashy_cpp.segfault") +
                                    job("first", "crashy.ok") + job("second", "crashy.ok", "depends_on = [\"first\"]\n"));
  auto r = run_cli("run p.toml" + opts, dir, launcher(dir));
  INFO(r.err);
  CHECK(r.exit_code == 1);  // a failed run, not a crashed host
  auto doc = show(dir, "deaths");
  CHECK(doc.at("status") == "failed");
  CHECK(error_of(doc, "seg") == "worker process killed by signal 11 (SIGSEGV)");
  CHECK(error_of(doc, "abort") == "worker process killed by signal 6 (SIGABRT)");
  CHECK(error_of(doc, "exit3") == "worker process exited with code 3");
  CHECK(error_of(doc, "cpp_throw") == "worker process killed by signal 6 (SIGABRT)");
  CHECK(error_of(doc, "cpp_seg") == "worker process killed by signal 11 (SIGSEGV)");
  for (auto* name : {"seg", "abort", "exit3", "cpp_throw", "cpp_seg"}) CHECK(state_of(doc, name) == "failed");
  CHECK(state_of(doc, "first") == "success");
  CHECK(state_of(doc, "second") == "success");
  CHECK(processes_mentioning(dir.str("plug")).empty());
}

TEST_CASE("process isolation: the retry policy applies to a crashed attempt") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"retry\"\n" +
                                    job("flaky", "crashy.counted",
                                        "retries = 2\nretry_delay = \"10ms\"\nconfig = { succeed_on = 3, crash = true }\n"));
  auto r = run_cli("run p.toml" + opts, dir, launcher(dir));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  auto h = run_cli("history flaky --pipeline retry --json --state state.db", dir);
  REQUIRE(h.exit_code == 0);
  auto attempts = json::parse(h.out).at("attempts").as_array();
  REQUIRE(attempts.size() == 3);  // newest first
  CHECK(attempts[0].at("state") == "success");
  CHECK(attempts[1].at("error") == "worker process killed by signal 11 (SIGSEGV)");
  CHECK(attempts[2].at("error") == "worker process killed by signal 11 (SIGSEGV)");
}

TEST_CASE("process isolation: a hang past its timeout is stopped with SIGTERM and SIGKILL, and retried") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"hang\"\n" +
                                    job("stuck", "crashy.hang", "timeout = \"200ms\"\nretries = 1\nretry_delay = \"10ms\"\n") +
                                    job("other", "crashy.ok"));
  const auto start = std::chrono::steady_clock::now();
  auto r = run_cli("run p.toml --cancel-grace 300ms" + opts, dir, launcher(dir));
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto doc = show(dir, "hang");
  CHECK(state_of(doc, "stuck") == "failed");
  CHECK(doc.at("jobs").at("stuck").at("attempts") == 2);
  CHECK_THAT(error_of(doc, "stuck"), Catch::StartsWith("timed out after 200 ms"));
  CHECK_THAT(error_of(doc, "stuck"), Catch::Contains("worker process"));
  CHECK(state_of(doc, "other") == "success");
  CHECK(took < std::chrono::seconds(20));  // bounded: nothing waited for the hang itself
  CHECK(processes_mentioning(dir.str("plug")).empty());
}

TEST_CASE("process isolation: limits hit are failed attempts that say which limit") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"limits\"\n" +
                                    job("greedy", "crashy.alloc", "memory_limit = \"128MiB\"\n") +
                                    job("files", "crashy.fds", "max_open_files = 64\n") +
                                    job("modest", "crashy.alloc", "memory_limit = \"256MiB\"\nconfig = { mib = 32 }\n"));
  auto r = run_cli("run p.toml" + opts, dir, launcher(dir));
  INFO(r.err);
  auto doc = show(dir, "limits");
  CHECK_THAT(error_of(doc, "greedy"), Catch::StartsWith("memory limit 128MiB exceeded"));
  CHECK_THAT(error_of(doc, "files"), Catch::Contains("Too many open files"));
  CHECK(state_of(doc, "modest") == "success");
}

TEST_CASE("process isolation: a child a job forks does not outlive it") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"kids\"\nmax_parallel = 1\n" +
                                    job("parent", "crashy.fork_child", "config = { seconds = 600 }\n") +
                                    job("next", "crashy.ok", "depends_on = [\"parent\"]\n"));
  // The run as a child of the test, so that its workers are visible while it runs too.
  auto r = run_cli("run p.toml" + opts, dir, launcher(dir));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(processes_mentioning(dir.str("plug")).empty());
}

TEST_CASE("process isolation: warm workers serve many attempts, and the host's own plugins stay in threads") {
  TempDir dir;
  const std::string opts = setup(dir);
  std::string jobs;
  for (int i = 0; i < 40; ++i) jobs += job("j" + std::to_string(i), "crashy.ok");
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"warm\"\nmax_parallel = 2\n" + jobs +
                                    job("noop", "utilities.noop"));
  auto r = run_cli("run p.toml" + opts, dir, launcher(dir));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(worker_starts(dir) >= 1);
  CHECK(worker_starts(dir) <= 2);  // one per slot at most, not one per attempt

  // The host config can keep a foreign plugin in threads: no worker starts.
  fs::remove(dir.str("worker-starts"));
  write_file(dir.str("jobhost.toml"), "[plugins.crashy]\nisolation = \"thread\"\n");
  auto t = run_cli("run p.toml --force --config jobhost.toml" + opts, dir, launcher(dir));
  INFO(t.err);
  CHECK(t.exit_code == 0);
  CHECK(worker_starts(dir) == 0);
}

TEST_CASE("process isolation: a job that logs megabytes gets every line, and the run goes on") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"flood\"\n" + job("loud", "crashy.log_flood", "config = { mib = 4 }\n"));
  auto r = run_cli("run p.toml" + opts, dir, launcher(dir));
  CHECK(r.exit_code == 0);
  size_t lines = 0;
  for (auto& l : split_lines(r.err)) lines += l.find("xxxxxxxxxxxxxxxx") != std::string::npos;
  CHECK(lines == 4 * 1024);
}

TEST_CASE("process isolation: SIGINT cancels a run whose job hangs in a worker, and records it") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), "[pipeline]\nname = \"sigint\"\n" + job("stuck", "crashy.hang"));
  ::setenv("JOBHOST_WORKER", dir.str("worker.sh").c_str(), 1);
  ChildProcess host(dir.str(), {"run", "p.toml", "--plugin-path", "plug", "--state", "state.db", "--date", kDate,
                                "--cancel-grace", "300ms"},
                    dir.str("run.out"), dir.str("run.err"));
  ::unsetenv("JOBHOST_WORKER");
  REQUIRE(eventually([&] { return read_file(dir.str("run.err")).find("[sigint-") != std::string::npos &&
                                  worker_starts(dir) == 1; }));
  REQUIRE(eventually([&] { return state_of(show(dir, "sigint"), "stuck") == "running"; }));
  host.kill(SIGINT);
  host.wait();
  auto doc = show(dir, "sigint");
  CHECK(doc.at("status") == "cancelled");
  CHECK(state_of(doc, "stuck") == "cancelled");
  CHECK(processes_mentioning(dir.str("plug")).empty());
}
