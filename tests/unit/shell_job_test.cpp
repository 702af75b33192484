#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "support.hpp"

using namespace jobhost;
using jobhost::test::run_job;

TEST_CASE("shell: a successful command logs its output line by line", "[shell]") {
  std::string log;
  auto r = run_job("utilities.shell", R"(command = "echo one; echo two >&2; printf three")", &log);
  CHECK(r.status == JH_STATUS_OK);
  CHECK(log == "one\ntwo\nthree\n");
}

TEST_CASE("shell: argv runs without a shell and env/cwd apply", "[shell]") {
  jobhost::test::TempDir dir;
  std::string log;
  auto r = run_job("utilities.shell",
                   "argv = ['/bin/sh', '-c', 'echo $GREETING $(pwd)']\nenv = { GREETING = 'hi' }\ncwd = '" +
                       dir.str() + "'",
                   &log);
  CHECK(r.status == JH_STATUS_OK);
  CHECK(log == "hi " + std::filesystem::canonical(dir.path).string() + "\n");
}

TEST_CASE("shell: exit codes map onto retryable and fatal failures", "[shell]") {
  auto r = run_job("utilities.shell", "command = 'exit 3'");
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "command exited with code 3");
  CHECK(r.metrics.at("exit_code") == 3);

  r = run_job("utilities.shell", "command = 'exit 3'\nfatal_exit_codes = [3]");
  CHECK(r.status == JH_STATUS_FATAL);

  r = run_job("utilities.shell", "command = 'exit 4'\nretry_exit_codes = [75]");
  CHECK(r.status == JH_STATUS_FATAL);
  r = run_job("utilities.shell", "command = 'exit 75'\nretry_exit_codes = [75]");
  CHECK(r.status == JH_STATUS_RETRY);
}

TEST_CASE("shell: config mistakes are fatal with a clear message", "[shell]") {
  auto r = run_job("utilities.shell", "");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("exactly one of 'command'"));
  r = run_job("utilities.shell", "argv = ['/no/such/program']");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("cannot execute '/no/such/program'"));
  r = run_job("utilities.shell", "command = 1");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("'command' has the wrong type"));
}

TEST_CASE("shell: cancellation stops the process group", "[shell]") {
  std::atomic<bool> cancel{false};
  jobhost::test::TempDir dir;
  auto marker = dir.str("started");
  std::thread canceller([&] {
    // Wait (bounded) until the child has really started, then cancel.
    for (int i = 0; i < 2000 && !std::filesystem::exists(marker); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cancel = true;
  });
  auto r = run_job("utilities.shell", "command = 'touch " + marker + "; sleep 30'", nullptr, &cancel);
  canceller.join();
  CHECK(r.status == JH_STATUS_CANCELLED);
}
