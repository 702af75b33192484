#include <catch2/catch.hpp>

#include <fstream>
#include <future>
#include <thread>

#include "support.hpp"

using namespace jobhost;
using jobhost::test::run_job;
using jobhost::test::run_job_logged;
using jobhost::test::TempDir;

namespace {

// Runs a job whose log lines go to `on_log` (on the job's thread), so a test can react to
// "the sensor has started waiting" instead of sleeping.
AttemptResult run_observed(const std::string& type, const std::string& config_toml,
                           std::function<void(std::string_view)> on_log,
                           const std::atomic<bool>* cancel = nullptr) {
  return run_job_logged(type, config_toml,
                        [&](jh_log_level, std::string_view line) { on_log(line); }, cancel);
}

}  // namespace

TEST_CASE("utilities.file_sensor: an existing file succeeds at once", "[file_sensor]") {
  TempDir dir;
  std::ofstream(dir.str("b.csv")) << "x";
  std::ofstream(dir.str("a.csv")) << "x";
  auto r = run_job("utilities.file_sensor", "path = '" + dir.str("*.csv") + "'\npoke_interval = '10ms'");
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("matched_count") == "2");
  CHECK(r.outputs.at("first_path") == dir.str("a.csv"));
  CHECK(r.metrics.at("matched_count") == 2);
}

TEST_CASE("utilities.file_sensor: succeeds when files appear after it started waiting", "[file_sensor]") {
  TempDir dir;
  std::promise<void> waiting;
  bool signalled = false;
  std::thread producer([&] {
    waiting.get_future().wait();
    std::ofstream(dir.str("part-1.csv")) << "x";
    std::ofstream(dir.str("part-2.csv")) << "x";
  });
  auto r = run_observed("utilities.file_sensor",
                        "path = '" + dir.str("part-*.csv") + "'\nmin_count = 2\npoke_interval = '10ms'\ntimeout = '60s'",
                        [&](std::string_view line) {
                          if (!signalled && line.find("waiting for 2 match(es)") != std::string_view::npos) {
                            signalled = true;
                            waiting.set_value();
                          }
                        });
  if (!signalled) waiting.set_value();  // never leave the producer blocked
  producer.join();
  CHECK(signalled);
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("matched_count") == "2");
  CHECK(r.outputs.at("first_path") == dir.str("part-1.csv"));
}

TEST_CASE("utilities.file_sensor: times out as a retryable failure, or skipped with soft_fail", "[file_sensor]") {
  TempDir dir;
  auto cfg = "path = '" + dir.str("never.txt") + "'\npoke_interval = '10ms'\ntimeout = '50ms'\n";
  auto start = std::chrono::steady_clock::now();
  auto r = run_job("utilities.file_sensor", cfg);
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK_THAT(r.error, Catch::Contains("timed out after 50ms") && Catch::Contains("never.txt"));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
  r = run_job("utilities.file_sensor", cfg + "soft_fail = true");
  CHECK(r.status == JH_STATUS_SKIPPED);
  CHECK_THAT(r.error, Catch::Contains("timed out"));
}

TEST_CASE("utilities.file_sensor: cancellation stops the wait promptly", "[file_sensor]") {
  TempDir dir;
  std::atomic<bool> cancel{false};
  auto start = std::chrono::steady_clock::now();
  auto r = run_observed("utilities.file_sensor",
                        "path = '" + dir.str("never.txt") + "'\npoke_interval = '5s'\ntimeout = '1h'",
                        [&](std::string_view line) {
                          if (line.find("waiting for") != std::string_view::npos) cancel = true;
                        },
                        &cancel);
  CHECK(r.status == JH_STATUS_CANCELLED);
  // Well under the 5 s poke interval: the sensor wakes every 100 ms to check.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("utilities.file_sensor: config mistakes are fatal and name the key", "[file_sensor]") {
  auto expect_fatal = [](const std::string& cfg, const std::string& needle) {
    auto r = run_job("utilities.file_sensor", cfg);
    CHECK(r.status == JH_STATUS_FATAL);
    CHECK_THAT(r.error, Catch::Contains(needle));
  };
  expect_fatal("", "missing required key 'path'");
  expect_fatal("path = '/tmp/x'\npoke_interval = '5 parsecs'", "'poke_interval' must be a duration");
  expect_fatal("path = '/tmp/x'\ntimeout = -3", "'timeout' must be a duration");
  expect_fatal("path = '/tmp/x'\nmin_count = 0", "'min_count' must be at least 1");
  expect_fatal("path = '/tmp/x'\npoke_interval = 0", "'poke_interval' must be greater than 0");
}
