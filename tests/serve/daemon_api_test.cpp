// The REST API of a real `jobhost serve` (not the fake daemon of api_test.cpp): a manual
// trigger starts a run, cancel stops it, pipelines show their schedule and validity, metrics
// count what happened.
#include <algorithm>
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <thread>

#include "cli_support.hpp"
#include "http_client.hpp"
#include "serve/live_daemon.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace http = jobhost::http;

namespace {


}  // namespace

TEST_CASE("serve api: trigger a run, watch it, cancel it, and read pipelines and metrics") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  write_file(dir.str("pl/wait.toml"),
             "[pipeline]\nname = \"wait\"\nschedule = \"0 6 * * *\"\ntimezone = \"Europe/Berlin\"\n"
             "[[jobs]]\nname = \"work\"\nuses = \"utilities.file_sensor\"\nconfig = { path = \"" +
                 dir.str("never") + "\", poke_interval = \"50ms\", timeout = \"10m\" }\n");
  write_file(dir.str("pl/broken.toml"), "[pipeline]\nname = \"broken\"\nschedule = \"61 * * * *\"\n");
  LiveDaemon d(dir);

  CHECK(d.get("/healthz").status == 200);
  auto pipelines = json::parse(d.get("/api/v1/pipelines").body);
  std::map<std::string, json::object> by_name;
  for (auto& p : pipelines.at("pipelines").as_array()) by_name[std::string(p.at("name").as_string())] = p.as_object();
  REQUIRE(by_name.count("wait"));
  CHECK(by_name["wait"].at("schedule") == "0 6 * * *");
  CHECK(by_name["wait"].at("timezone") == "Europe/Berlin");
  CHECK(by_name["wait"].at("valid") == true);
  CHECK(by_name["wait"].at("next_fire").as_string().ends_with(":00:00Z"));
  REQUIRE(by_name.count("broken"));
  CHECK(by_name["broken"].at("valid") == false);
  CHECK(by_name["broken"].at("error").as_string().find("broken.toml:3:") != std::string::npos);

  auto trigger = d.post("/api/v1/pipelines/wait/runs", R"({"date": "2026-11-28"})");
  REQUIRE(trigger.status == 201);
  const std::string run_id(json::parse(trigger.body).at("run_id").as_string());
  CHECK(run_id.starts_with("wait-20261128-"));
  CHECK(d.post("/api/v1/pipelines/wait/runs", R"({"date": "2026-11-28"})").status == 409);  // in progress
  CHECK(d.post("/api/v1/pipelines/nope/runs", R"({"date": "2026-11-28"})").status == 404);
  CHECK(d.post("/api/v1/pipelines/wait/runs", R"({"date": "yesterday"})").status == 400);

  REQUIRE(eventually([&] {
    auto r = d.get("/api/v1/runs/" + run_id);
    if (r.status != 200) return false;
    const json::value doc = json::parse(r.body);
    auto* work = doc.at("jobs").as_object().if_contains("work");
    return work && work->at("state") == "running";
  }));
  CHECK(d.post("/api/v1/runs/" + run_id + "/cancel", "").status == 202);
  REQUIRE(eventually([&] { return json::parse(d.get("/api/v1/runs/" + run_id).body).at("status") == "cancelled"; }));
  CHECK(d.post("/api/v1/runs/" + run_id + "/cancel", "").status == 404);  // not running any more

  auto metrics = d.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("jobhost_serve_runs_started_total{reason=\"manual\"} 1") != std::string::npos);
  CHECK(metrics.body.find("jobhost_serve_pipelines{valid=\"false\"} 1") != std::string::npos);
  // The cancelled attempt's running time, and nothing left queued or deferred once the run
  // has ended (its thread may still be finishing when the store says cancelled).
  CHECK(eventually([&] {
    const std::string m = d.get("/metrics").body;
    return m.find("jobhost_serve_attempt_duration_seconds_count{state=\"cancelled\"} 1\n") != std::string::npos &&
           m.find("jobhost_serve_jobs{state=\"running\"} 0\n") != std::string::npos &&
           m.find("jobhost_serve_queue_depth 0\n") != std::string::npos &&
           m.find("jobhost_serve_deferred_attempts 0\n") != std::string::npos &&
           m.find("jobhost_serve_active_runs 0\n") != std::string::npos;
  }));
  // The store's commit latency: the run's changes were committed, buckets are cumulative and
  // the +Inf bucket equals the count.
  {
    const std::string m = d.get("/metrics").body;
    std::vector<double> buckets;
    double count = -1, inf = -2;
    for (auto& line : split_lines(m)) {
      if (line.rfind("jobhost_store_commit_seconds_bucket{le=\"+Inf\"} ", 0) == 0) inf = std::stod(line.substr(line.rfind(' ')));
      else if (line.rfind("jobhost_store_commit_seconds_bucket", 0) == 0) buckets.push_back(std::stod(line.substr(line.rfind(' '))));
      else if (line.rfind("jobhost_store_commit_seconds_count ", 0) == 0) count = std::stod(line.substr(line.rfind(' ')));
    }
    CHECK(count >= 1);
    CHECK(inf == count);
    REQUIRE(!buckets.empty());
    CHECK(std::is_sorted(buckets.begin(), buckets.end()));
    CHECK(buckets.back() <= count);
  }
  CHECK(d.stop() == 0);
}

TEST_CASE("serve api: a non-loopback listener without a token is refused at start") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  auto r = run_cli("serve --pipelines pl --state s.db --listen 0.0.0.0:0", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("token") != std::string::npos);
}

TEST_CASE("serve api: with a token every request needs it") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("pl"));
  write_file(dir.str("jobhost.toml"), "api_token_secret = \"SERVE_TOKEN\"\n");
  write_file(dir.str("SERVE_TOKEN"), "tok-S3cr3t-1");
  write_file(dir.str("jobhost.toml"), "api_token_secret = \"SERVE_TOKEN\"\nsecrets_dir = \".\"\n");
  ChildProcess child(dir.str(), {"serve", "--config", "jobhost.toml", "--pipelines", "pl", "--state", "s.db",
                                 "--listen", "127.0.0.1:0", "--port-file", "port"},
                     dir.str("serve.out"), dir.str("serve.err"));
  REQUIRE(eventually([&] { return std::filesystem::exists(dir.str("port")); }));
  const std::string base = "http://127.0.0.1:" + std::to_string(std::stoi(read_file(dir.str("port"))));
  CHECK(http::request("GET", base + "/api/v1/pipelines").status == 401);
  CHECK(http::request("GET", base + "/api/v1/pipelines", {{"Authorization", "Bearer tok-S3cr3t-1"}}).status == 200);
  child.kill(SIGTERM);
  child.wait();
  CHECK(read_file(dir.str("serve.err")).find("S3cr3t") == std::string::npos);
}
