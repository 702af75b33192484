// The REST API against a FakeDaemon and a store filled by real runs: every endpoint's status
// codes and bodies, errors as JSON, and every answer checked against docs/serve-openapi.json.
#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/state_commands.hpp"
#include "serve_harness.hpp"
#include "state/run_store.hpp"

using namespace jobhost;
using namespace jobhost::test;
namespace json = boost::json;

namespace {

std::string text(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

json::value parse(const TestResponse& r) {
  INFO(r.body);
  return json::parse(r.body);
}

// `jobhost show RUN_ID --json --state PATH`, as the CLI prints it.
json::value show_json(const std::string& run_id, const std::string& store) {
  std::ostringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  int code = -1;
  try {
    code = cli::cmd_show({run_id, "--json", "--state", store});
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  REQUIRE(code == 0);
  return json::parse(out.str());
}

void require_error(const TestResponse& r, int status, const std::string& says) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.header("content-type") == "application/json");
  auto doc = json::parse(r.body);
  REQUIRE(doc.is_object());
  CHECK_THAT(std::string(doc.at("error").as_string()), Catch::Contains(says));
}

// GET /healthz and /api/v1/pipelines.
void check_pipelines(ServeHarness& h) {
  auto health = h.get("/healthz");
  CHECK(health.status == 200);
  CHECK(parse(health).at("status") == "ok");

  // Pipelines: the daemon's view, with each one's newest run from the store.
  auto pipelines = h.get("/api/v1/pipelines");
  REQUIRE(pipelines.status == 200);
  const json::array list = parse(pipelines).at("pipelines").as_array();
  REQUIRE(list.size() == 3);
  CHECK(list[0].at("name") == "broken");
  CHECK(list[0].at("valid") == false);
  CHECK_THAT(std::string(list[0].at("error").as_string()), Catch::Contains("unknown job type"));
  CHECK(list[0].at("next_fire").is_null());
  CHECK(list[0].at("last_run").is_null());
  CHECK(list[1].at("name") == "daily");
  CHECK(list[1].at("schedule") == "0 6 * * *");
  CHECK(list[1].at("timezone") == "Europe/Paris");
  CHECK(list[1].at("next_fire") == "2026-11-30T05:00:00Z");
  CHECK(list[1].at("last_tick") == "2026-11-29T05:00:00Z");
  CHECK(list[1].at("error").is_null());
  CHECK(list[1].at("active_runs") == 1);
  CHECK(text(list[1].at("last_run").at("run_id")) == h.store.running_run);
  CHECK(list[1].at("last_run").at("status") == "running");
  CHECK(list[1].at("last_run").at("logical_date") == "2026-11-29");
  CHECK(list[1].at("last_run").at("logical_time") == "2026-11-29T00:00:00Z");
  CHECK(text(list[2].at("last_run").at("run_id")) == h.store.hourly_run);
  CHECK(list[2].at("last_run").at("status") == "success");
}

// GET /api/v1/runs/{run_id} and /api/v1/runs with its filters.
void check_runs(ServeHarness& h) {
  // One run: exactly what `jobhost show --json` prints.
  auto run = h.get("/api/v1/runs/" + h.store.failed_run);
  REQUIRE(run.status == 200);
  CHECK(parse(run) == show_json(h.store.failed_run, h.store.path));
  CHECK(parse(run).at("jobs").at("transform").at("attempts") == 2);
  CHECK(parse(run).at("jobs").at("load").at("state") == "failed");

  // Runs: newest first, each a full run document; filters and limit.
  auto runs = h.get("/api/v1/runs");
  REQUIRE(runs.status == 200);
  const json::array all = parse(runs).at("runs").as_array();
  REQUIRE(all.size() == 4);
  CHECK(text(all[0].at("run_id")) == h.store.running_run);
  for (auto& r : all)
    if (text(r.at("run_id")) == h.store.success_run)
      CHECK(r == show_json(h.store.success_run, h.store.path));
  auto daily = parse(h.get("/api/v1/runs?pipeline=daily"));
  CHECK(daily.at("runs").as_array().size() == 3);
  auto failed = parse(h.get("/api/v1/runs?status=failed"));
  REQUIRE(failed.at("runs").as_array().size() == 1);
  CHECK(text(failed.at("runs").at(0).at("run_id")) == h.store.failed_run);
  auto both = parse(h.get("/api/v1/runs?pipeline=daily&status=success&limit=5"));
  REQUIRE(both.at("runs").as_array().size() == 1);
  CHECK(text(both.at("runs").at(0).at("run_id")) == h.store.success_run);
  CHECK(parse(h.get("/api/v1/runs?limit=2")).at("runs").as_array().size() == 2);
  CHECK(parse(h.get("/api/v1/runs?pipeline=nobody")).at("runs").as_array().empty());
  CHECK(parse(h.get("/api/v1/runs?pipeline=&status=&limit=1000")).at("runs").as_array().size() ==
        4);
}

// POST /api/v1/pipelines/{name}/runs and /api/v1/runs/{run_id}/cancel.
void check_trigger_and_cancel(ServeHarness& h) {
  // A manual trigger: 201, the run id, where to find it, and what the daemon was asked.
  auto trigger =
      h.post("/api/v1/pipelines/daily/runs",
             R"({"date": "2026-12-01T13:00:00Z", "params": {"fail_load": "no"}, "force": true})",
             {{"Content-Type", "application/json"}});
  REQUIRE(trigger.status == 201);
  CHECK(parse(trigger).at("run_id") == "daily-manual-1");
  CHECK(trigger.header("location") == "/api/v1/runs/daily-manual-1");
  auto asked = h.daemon.triggered();
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].pipeline == "daily");
  CHECK(asked[0].date == "2026-12-01T13:00:00Z");
  CHECK(asked[0].params == std::map<std::string, std::string>{{"fail_load", "no"}});
  CHECK(asked[0].force);
  auto empty_body = h.post("/api/v1/pipelines/hourly/runs");
  REQUIRE(empty_body.status == 201);
  CHECK(h.daemon.triggered().at(1).date.empty());
  CHECK_FALSE(h.daemon.triggered().at(1).force);

  // Cancel: 202 for a run in progress here.
  h.daemon.allow_cancel(h.store.running_run);
  auto cancel = h.post("/api/v1/runs/" + h.store.running_run + "/cancel");
  REQUIRE(cancel.status == 202);
  CHECK(parse(cancel).at("status") == "cancelling");
  CHECK(h.daemon.cancelled() == std::vector<std::string>{h.store.running_run});
}

// GET /metrics, /api/v1/openapi.json, / and /runs/{run_id}.
void check_metrics_docs_and_pages(ServeHarness& h) {
  // Metrics: the daemon's text, then the HTTP server's own, as Prometheus 0.0.4.
  auto metrics = h.get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK_THAT(metrics.body, Catch::StartsWith("# HELP jobhost_runs_total"));
  CHECK_THAT(metrics.body, Catch::Contains("jobhost_runs_total{status=\"failed\"} 1\n# HELP"));
  CHECK_THAT(metrics.body, Catch::Contains("jobhost_http_requests_total{method=\"GET\",route=\"/"
                                           "api/v1/runs/{run_id}\",code=\"200\"} 1\n"));
  CHECK_THAT(metrics.body,
             Catch::Contains("jobhost_http_request_duration_seconds_bucket{method=\"POST\",route="
                             "\"/api/v1/pipelines/{name}/runs\",le=\"+Inf\"} 2\n"));
  CHECK_THAT(metrics.body,
             Catch::Contains("# TYPE jobhost_http_request_duration_seconds histogram"));
  // Connections the tests closed may not be reaped yet: only the gauge's presence is certain.
  CHECK_THAT(metrics.body, Catch::Contains("# TYPE jobhost_http_connections_open gauge\n"
                                           "jobhost_http_connections_open "));

  // The OpenAPI document, byte for byte the file in docs/.
  auto openapi = h.get("/api/v1/openapi.json");
  REQUIRE(openapi.status == 200);
  CHECK(openapi.body == read_file(JOBHOST_SOURCE_DIR "/docs/serve-openapi.json"));

  // The status pages.
  auto index = h.get("/");
  CHECK(index.status == 200);
  CHECK(index.header("content-type") == "text/html; charset=utf-8");
  auto page = h.get("/runs/" + h.store.failed_run);
  CHECK(page.status == 200);
}

}  // namespace

TEST_CASE("serve api: every endpoint answers as documented", "[serve][api]") {
  ServeHarness h;
  check_pipelines(h);
  check_runs(h);
  check_trigger_and_cancel(h);
  // After the others: the metrics count their requests.
  check_metrics_docs_and_pages(h);
  h.check_openapi(/*require_all_operations=*/true);
}

TEST_CASE("serve api: bad requests get 4xx JSON errors and the server keeps serving",
          "[serve][api]") {
  ServeHarness h;
  require_error(h.get("/api/v1/runs?limit=0"), 400, "limit must be a whole number from 1 to 1000");
  require_error(h.get("/api/v1/runs?limit=1001"), 400, "limit");
  require_error(h.get("/api/v1/runs?limit=-3"), 400, "limit");
  require_error(h.get("/api/v1/runs?limit=ten"), 400, "limit");
  require_error(h.get("/api/v1/runs?status=exploded"), 400, "status must be one of");
  require_error(h.get("/api/v1/runs?pipline=daily"), 400, "unknown query parameter 'pipline'");
  require_error(h.get("/api/v1/runs?limit=1&limit=2"), 400, "given twice");
  require_error(h.get("/api/v1/runs?pipeline=%zz"), 400, "malformed query string");
  require_error(h.get("/api/v1/runs/no-such-run"), 404, "no run 'no-such-run'");
  require_error(h.get("/api/v1/runs/%E2%9C%93"), 404, "no run");
  require_error(h.get("/api/v1/runs/bad%zzid"), 400, "percent-encoding");
  require_error(h.get("/api/v1/nothing"), 404, "no such endpoint");
  require_error(h.get("/api/v1/runs/"), 404, "no such endpoint");

  auto del = h.send("DELETE", "/api/v1/runs");
  require_error(del, 405, "method DELETE is not allowed");
  CHECK(del.header("allow") == "GET, HEAD");
  auto get_trigger = h.get("/api/v1/pipelines/daily/runs");
  require_error(get_trigger, 405, "not allowed");
  CHECK(get_trigger.header("allow") == "POST");
  CHECK(h.send("PUT", "/").header("allow") == "GET, HEAD");
  // HEAD: the GET answer's header, no body.
  auto head = h.send("HEAD", "/api/v1/runs/" + h.store.failed_run);
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(std::stoul(head.header("content-length")) > 100);
  CHECK(h.send("HEAD", "/api/v1/runs/nope").status == 404);

  // Trigger bodies: not JSON, not an object, unknown fields, wrong types.
  const std::string t = "/api/v1/pipelines/daily/runs";
  require_error(h.post(t, "{\"date\": "), 400, "not valid JSON");
  require_error(h.post(t, "[1, 2]"), 400, "must be a JSON object, not an array");
  require_error(h.post(t, R"({"date": "2026-11-28", "forse": true})"), 400,
                "unknown field 'forse'");
  require_error(h.post(t, R"({"date": 20261128})"), 400, "'date' must be a string, not a number");
  require_error(h.post(t, R"({"force": "yes"})"), 400, "'force' must be a boolean");
  require_error(h.post(t, R"({"params": ["a"]})"), 400, "'params' must be an object");
  require_error(h.post(t, R"({"params": {"n": 3}})"), 400, "params.n must be a string");
  require_error(h.post(t, R"({"date": null})"), 400, "'date' must be a string, not null");
  // What the daemon refuses, with its status.
  require_error(h.post("/api/v1/pipelines/nobody/runs", "{}"), 404, "no pipeline 'nobody'");
  require_error(h.post("/api/v1/pipelines/broken/runs", "{}"), 409, "does not validate");
  require_error(h.post(t, R"({"date": "bad"})"), 400, "bad date");
  CHECK(h.daemon.triggered().empty());

  // Cancel of what is not running here.
  require_error(h.post("/api/v1/runs/no-such-run/cancel"), 404, "no run 'no-such-run'");
  require_error(h.post("/api/v1/runs/" + h.store.success_run + "/cancel"), 404,
                "is not running in this daemon (its status is success)");

  // The run page of an unknown run: a 404 page.
  auto page = h.get("/runs/no-such-run");
  CHECK(page.status == 404);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK_THAT(page.body, Catch::Contains("no run &#39;no-such-run&#39;"));

  // Limits, answered by the server before any route (documented for every request).
  require_error(h.post(t, std::string((1 << 20) + 10, ' ')), 413, "request body larger than");
  require_error(h.get("/api/v1/runs", {{"X-Padding", std::string(20000, 'p')}}), 431,
                "request header larger than");
  TestConnection raw(h.port());
  raw.send_raw("GET /api/v1/runs HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n");  // no colon
  auto malformed = raw.read_response();
  h.log.add("GET", "/api/v1/runs", malformed);
  require_error(malformed, 400, "malformed request");
  CHECK(h.daemon.triggered().empty());

  CHECK(h.get("/healthz").status == 200);
  h.check_openapi();
}

TEST_CASE("serve api: a draining daemon answers /healthz with 503", "[serve][api]") {
  ServeHarness h;
  h.daemon.set_draining(true);
  auto r = h.get("/healthz");
  CHECK(r.status == 503);
  CHECK(parse(r).at("status") == "draining");
  h.check_openapi();
}

TEST_CASE("serve api: with a token every request needs it, reads and writes alike",
          "[serve][api][security]") {
  ServeHarness h("s3cret-token-value");
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", "/healthz"},
      {"GET", "/metrics"},
      {"GET", "/api/v1/openapi.json"},
      {"GET", "/api/v1/pipelines"},
      {"GET", "/api/v1/runs"},
      {"GET", "/api/v1/runs/" + h.store.failed_run},
      {"POST", "/api/v1/pipelines/daily/runs"},
      {"POST", "/api/v1/runs/" + h.store.running_run + "/cancel"},
      {"GET", "/"},
      {"GET", "/runs/" + h.store.failed_run},
      {"GET", "/no/such/path"}};
  const std::vector<Headers> refused = {
      {{"Authorization", "none"}},  // replaced below: no header at all
      {{"Authorization", "Bearer wrong"}},
      {{"Authorization", "Bearer s3cret-token-valuE"}},
      {{"Authorization", "Bearer s3cret-token-value-and-more"}},
      {{"Authorization", "Basic czNjcmV0LXRva2VuLXZhbHVl"}},
      {{"Authorization", "s3cret-token-value"}}};
  for (auto& [method, target] : endpoints) {
    for (size_t i = 0; i < refused.size(); ++i) {
      INFO(method << " " << target << " with header set " << i);
      TestResponse r = i == 0 ? http_request(h.port(), method, target, "", {}, &h.log)
                              : http_request(h.port(), method, target, "", refused[i], &h.log);
      CHECK(r.status == 401);
      CHECK(r.header("www-authenticate") == "Bearer realm=\"jobhost\"");
      CHECK_THAT(r.body, Catch::Contains("\"error\""));
    }
  }
  CHECK(h.daemon.triggered().empty());
  CHECK(h.daemon.cancelled().empty());
  // The right token, in any case of the scheme.
  CHECK(h.get("/api/v1/pipelines").status == 200);
  CHECK(h.get("/healthz", {{"Authorization", "bearer s3cret-token-value"}}).status == 200);
  CHECK(h.post("/api/v1/pipelines/daily/runs", "{}").status == 201);
  // With a token, a Host that is not loopback is fine (the server may sit behind a proxy).
  CHECK(h.get("/healthz", {{"Host", "jobs.example.com"}}).status == 200);
  h.check_openapi();
}

TEST_CASE("serve api: without a token, only loopback Host names and same-origin POSTs",
          "[serve][api][security]") {
  ServeHarness h;
  // DNS rebinding: a page of evil.example resolved to 127.0.0.1 still sends its own Host.
  require_error(h.get("/api/v1/pipelines", {{"Host", "evil.example:8080"}}), 403, "loopback");
  CHECK(h.get("/healthz", {{"Host", "localhost:1234"}}).status == 200);
  CHECK(h.get("/healthz", {{"Host", "[::1]:1234"}}).status == 200);
  // A cross-site form POST carries the other site's Origin.
  require_error(h.post("/api/v1/pipelines/daily/runs", "{}", {{"Origin", "https://evil.example"}}),
                403, "cross-origin POST refused");
  require_error(h.post("/api/v1/runs/x/cancel", "", {{"Origin", "null"}}), 403, "cross-origin");
  CHECK(h.daemon.triggered().empty());
  const std::string self = "http://127.0.0.1:" + std::to_string(h.port());
  CHECK(h.post("/api/v1/pipelines/daily/runs", "{}", {{"Origin", self}}).status == 201);
  // Reads from other origins are answered (a browser does not let the page read them).
  CHECK(h.get("/healthz", {{"Origin", "https://evil.example"}}).status == 200);
  h.check_openapi();
}

TEST_CASE("serve api: reads use their own connections while the store is written",
          "[serve][api][store]") {
  ServeHarness h;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, ok{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      TestConnection c(h.port());
      while (!done) {
        auto r = c.request("GET", "/api/v1/runs?limit=20");
        (r.status == 200 ? ok : bad)++;
      }
    });
  // The daemon's writer at work meanwhile: new runs committed while the API reads.
  state::StoreOptions so;
  so.path = h.store.path;
  auto store = state::RunStore::open(so);
  for (int i = 0; i < 30; ++i) {
    state::RunBegin b;
    b.pipeline = "busy";
    b.logical_date = "2026-10-" + std::string(i + 1 < 10 ? "0" : "") + std::to_string(i + 1);
    b.definition = "[pipeline]\nname = \"busy\"\n";
    auto run = store->begin_run(b);
    store->job_started(run.run_id, run.try_number, "a", 1, "c");
    store->job_finished(run.run_id, run.try_number, "a", 1, state::JobState::success, "", 5, {},
                        {});
    store->finish_run(run.run_id, "success");
    store->flush();
  }
  done = true;
  for (auto& t : readers) t.join();
  CHECK(bad == 0);
  CHECK(ok > 0);
  CHECK(parse(h.get("/api/v1/runs?pipeline=busy&limit=1000")).at("runs").as_array().size() == 30);
}

TEST_CASE("serve api: a store that does not exist yet reads as empty", "[serve][api][store]") {
  TempDir dir;
  FakeDaemon daemon(dir.str("none/state.db"), fake_pipelines());
  serve::DaemonHttp http(daemon, ServeHarness::options(""));
  http.start();
  AnswerLog log;
  auto runs = http_request(http.port(), "GET", "/api/v1/runs", "", {}, &log);
  CHECK(runs.status == 200);
  CHECK(runs.body == "{\"runs\":[]}");
  CHECK(http_request(http.port(), "GET", "/api/v1/runs/x", "", {}, &log).status == 404);
  CHECK(http_request(http.port(), "GET", "/api/v1/pipelines", "", {}, &log).status == 200);
  CHECK(http_request(http.port(), "GET", "/", "", {}, &log).status == 200);
  CHECK_FALSE(std::filesystem::exists(dir.str("none/state.db")));
  std::string report;
  const bool ok = log.check(dir.str(), report);
  INFO(report);
  CHECK(ok);
}

TEST_CASE("serve api: an unreadable store is 503 JSON (pages: 503 HTML)", "[serve][api][store]") {
  TempDir dir;
  write_file(dir.str("state.db"), std::string(4096, 'x'));  // not a database
  FakeDaemon daemon(dir.str("state.db"), fake_pipelines());
  serve::DaemonHttp http(daemon, ServeHarness::options(""));
  http.start();
  AnswerLog log;
  auto runs = http_request(http.port(), "GET", "/api/v1/runs", "", {}, &log);
  CHECK(runs.status == 503);
  CHECK_THAT(runs.body, Catch::Contains("state store"));
  CHECK(http_request(http.port(), "GET", "/runs/x", "", {}, &log).status == 503);
  // The index still lists the pipelines, with a warning.
  auto index = http_request(http.port(), "GET", "/", "", {}, &log);
  CHECK(index.status == 200);
  CHECK_THAT(index.body, Catch::Contains("Run history unavailable"));
  CHECK(http_request(http.port(), "GET", "/healthz", "", {}, &log).status == 200);
  std::string report;
  const bool ok = log.check(dir.str(), report);
  INFO(report);
  CHECK(ok);
}
