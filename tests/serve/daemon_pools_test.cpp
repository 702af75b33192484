// Host-wide pools in a real `jobhost serve`: one pool spans the runs of all pipelines, a
// cancelled run gives its slot to the next, and /metrics shows slots, use and waiting jobs.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <filesystem>

#include "cli_support.hpp"
#include "http_client.hpp"
#include "serve/live_daemon.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace http = jobhost::http;

namespace {

struct PooledDaemon : LiveDaemon {
  using LiveDaemon::LiveDaemon;
  std::string trigger(const std::string& pipeline) {
    auto r = http::request("POST", base + "/api/v1/pipelines/" + pipeline + "/runs",
                           {{"Content-Type", "application/json"}}, R"({"date": "2026-11-28"})");
    REQUIRE(r.status == 201);
    return std::string(json::parse(r.body).at("run_id").as_string());
  }
  json::value run(const std::string& id) const {
    return json::parse(http::request("GET", base + "/api/v1/runs/" + id).body);
  }
  std::string metrics() const { return http::request("GET", base + "/metrics").body; }
  bool metrics_show(const std::string& in_use, const std::string& waiting) const {
    const std::string m = metrics();
    return m.find("jobhost_pool_slots{pool=\"warehouse\"} 1\n") != std::string::npos &&
           m.find("jobhost_pool_slots_in_use{pool=\"warehouse\"} " + in_use + "\n") != std::string::npos &&
           m.find("jobhost_pool_waiting_jobs{pool=\"warehouse\"} " + waiting + "\n") != std::string::npos;
  }
};

std::string pooled(const std::string& name, const std::string& uses, const std::string& config) {
  return "[pipeline]\nname = \"" + name + "\"\n[[jobs]]\nname = \"work\"\nuses = \"" + uses +
         "\"\npool = \"warehouse\"\nconfig = { " + config + " }\n";
}

std::string job_state(const json::value& run) {
  auto* work = run.at("jobs").as_object().if_contains("work");
  return work ? std::string(work->at("state").as_string()) : "";
}

}  // namespace

TEST_CASE("serve pools: one pool spans the runs of all pipelines, and a cancelled run frees its slot") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), "[pools]\nwarehouse = 1\n");
  std::filesystem::create_directories(dir.str("pl"));
  write_file(dir.str("pl/holds.toml"),
             pooled("holds", "utilities.file_sensor",
                    "path = \"" + dir.str("never") + "\", poke_interval = \"50ms\", timeout = \"10m\""));
  write_file(dir.str("pl/waits.toml"), pooled("waits", "utilities.noop", ""));
  PooledDaemon d(dir);
  CHECK(d.metrics_show("0", "0"));

  const std::string holds = d.trigger("holds");
  REQUIRE(eventually([&] { return job_state(d.run(holds)) == "running"; }));
  const std::string waits = d.trigger("waits");
  REQUIRE(eventually([&] { return d.metrics_show("1", "1"); }));
  CHECK(job_state(d.run(waits)) != "running");

  REQUIRE(http::request("POST", d.base + "/api/v1/runs/" + holds + "/cancel").status == 202);
  REQUIRE(eventually([&] { return d.run(waits).at("status") == "success"; }));
  CHECK(d.run(holds).at("status") == "cancelled");
  CHECK(eventually([&] { return d.metrics_show("0", "0"); }));
  CHECK(d.stop() == 0);
}
