// The airflow plugin (airflow.dag_run, connection type "airflow") against the fake Airflow:
// REST v1 (Airflow 2, basic auth or a static bearer token) and v2 (Airflow 3, /auth/token),
// driven through the real jobhost binary. Every test ends with zero spec violations.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <csignal>

#include "connector_cli_support.hpp"
#include "reliability/child_process.hpp"

#include "airflow_api.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace af = jobhost::connectors::airflow;
using jobhost::connectors::RemoteStatus;

namespace {

const std::string kSecrets =
    "JOBHOST_SECRET_AF_PASS=af-pass-S3cr3t-91 JOBHOST_SECRET_AF_TOKEN=af-token-S3cr3t-92 "
    "JOBHOST_SECRET_AF_WRONG=not-the-S3cr3t";
const std::string kBasicV1 = "Basic c3ZjX2pvYmhvc3Q6YWYtcGFzcy1TM2NyM3QtOTE=";

// A fake Airflow, the plugin, and a connection "af" (`auth`: its credential keys).
struct Airflow : ConnectorCli {
  explicit Airflow(const std::string& api = "v1",
                   const std::string& auth = "username = \"svc_jobhost\"\npassword_secret = \"AF_PASS\"\n",
                   const std::string& extra = "")
      : ConnectorCli("airflow", "airflow") {
    secrets_env = kSecrets;
    host_config("[connections.af]\ntype = \"airflow\"\nurl = \"" + fake.url() + "\"\napi_version = \"" +
                api + "\"\n" + auth + "timeout = \"5s\"\nretry_backoff = \"10ms\"\n" +
                "retry_backoff_max = \"100ms\"\n" + extra);
  }
  // One airflow.dag_run job "dag" for DAG `dag_id`.
  void dag_job(const std::string& dag_id, const std::string& config = "",
               const std::string& keys = "") const {
    pipeline(connector_job("dag", "airflow.dag_run",
                           "connection = \"af\", dag_id = \"" + dag_id + "\", poll_interval = \"50ms\"" +
                               (config.empty() ? "" : ", " + config),
                           keys));
  }
  json::array runs() const { return fake.log().at("runs").as_array(); }
  int64_t start_requests(const std::string& dag) const {
    auto log = fake.log();
    const auto* n = log.at("start_requests").as_object().if_contains(dag);
    return n ? n->to_number<int64_t>() : 0;
  }
  // Ends a hanging run the way an Airflow user would (through the v1 API).
  void finish_run(const std::string& dag, const std::string& run_id, const std::string& state) const {
    auto r = jobhost::http::request(
        "PATCH", fake.url() + "/api/v1/dags/" + dag + "/dagRuns/" + run_id,
        {{"Authorization", kBasicV1}, {"Content-Type", "application/json"}},
        json::serialize(json::object{{"state", state}}));
    REQUIRE(r.status == 200);
  }
  void expect_clean(const CliResult& r) const {
    CHECK(everything_written(r).find("S3cr3t") == std::string::npos);
    const auto violations = fake.violations();
    INFO(json::serialize(violations));
    CHECK(violations.empty());
  }
};

}  // namespace

// ---- unit: the API helpers ----------------------------------------------------------------

TEST_CASE("airflow api: dag run states map onto remote phases", "[connectors][airflow]") {
  auto phase = [](const char* state) { return af::dag_run_status(json::object{{"state", state}}).phase; };
  CHECK(phase("queued") == RemoteStatus::Phase::kRunning);
  CHECK(phase("running") == RemoteStatus::Phase::kRunning);
  CHECK(phase("success") == RemoteStatus::Phase::kSucceeded);
  CHECK(phase("failed") == RemoteStatus::Phase::kFailed);
  CHECK(phase("some_future_state") == RemoteStatus::Phase::kRunning);
  CHECK(af::dag_run_status(json::object{{"state", "failed"}}).state == "failed");
}

TEST_CASE("airflow api: run ids, logical dates and UI links", "[connectors][airflow]") {
  const std::string id = af::default_dag_run_id("2026-11-28", "p-20261128-abc-dag-a1-0123456789");
  CHECK(id == "jobhost__2026-11-28__p-20261128-abc-dag-a1-0123456789");
  CHECK(af::valid_dag_run_id(id));
  CHECK_FALSE(af::valid_dag_run_id("has space"));
  CHECK_FALSE(af::valid_dag_run_id(std::string(251, 'a')));
  CHECK(af::normalize_logical_date("2026-11-28") == "2026-11-28T00:00:00+00:00");
  CHECK(af::normalize_logical_date("2026-11-28T06:30:00Z") == "2026-11-28T06:30:00Z");
  CHECK(af::normalize_logical_date("2026-11-28 06:30:00.5+01:00") == "2026-11-28T06:30:00.5+01:00");
  CHECK(af::normalize_logical_date("2026-11-28T06:30:00").empty());  // no zone
  CHECK(af::normalize_logical_date("yesterday").empty());
  const std::string now = af::now_rfc3339();
  CHECK(af::normalize_logical_date(now) == now);

  af::Api v1{af::ApiVersion::kV1, "https://airflow.example.com"};
  af::Api v2{af::ApiVersion::kV2, "https://airflow.example.com"};
  CHECK(v1.dag_run_path("etl", "a+b") == "/api/v1/dags/etl/dagRuns/a%2Bb");
  CHECK(v2.health_path() == "/api/v2/monitor/health");
  CHECK(v1.run_url("etl", "r1") == "https://airflow.example.com/dags/etl/grid?dag_run_id=r1");
  CHECK(v2.run_url("etl", "r1") == "https://airflow.example.com/dags/etl/runs/r1");
  CHECK(v1.task_log_url("etl", "r1", "load", 2) ==
        "https://airflow.example.com/dags/etl/grid?dag_run_id=r1&task_id=load&tab=logs");
  CHECK(v2.task_log_url("etl", "r1", "load", 2) ==
        "https://airflow.example.com/dags/etl/runs/r1/tasks/load?try_number=2");
}

TEST_CASE("airflow api: failed task instances become log lines", "[connectors][airflow]") {
  auto collection = json::parse(R"({"task_instances": [
      {"task_id": "extract", "state": "success", "try_number": 1, "map_index": -1},
      {"task_id": "load", "state": "failed", "try_number": 2, "map_index": -1},
      {"task_id": "report", "state": "upstream_failed", "try_number": 0, "map_index": -1},
      {"task_id": "shard", "state": "failed", "try_number": 1, "map_index": 3}],
      "total_entries": 4})");
  auto tasks = af::failed_tasks(collection);
  REQUIRE(tasks.size() == 3);
  af::Api v1{af::ApiVersion::kV1, "http://af"};
  auto lines = af::failed_task_lines(v1, "etl", "r1", tasks);
  CHECK(lines[0] == "task load: failed (try 2), log: http://af/dags/etl/grid?dag_run_id=r1&task_id=load&tab=logs");
  CHECK(lines[1] == "task report: upstream_failed");
  CHECK(lines[2].rfind("task shard[3]: failed (try 1), log: ", 0) == 0);
  CHECK(af::failed_tasks(json::parse("{}")).empty());
}

// ---- end to end ---------------------------------------------------------------------------

TEST_CASE("airflow v1: a DAG run succeeds with outputs, its conf, and one trigger", "[connectors][airflow]") {
  Airflow a;
  a.dag_job("etl_daily", "conf = { source = \"s3://b/{{ run.logical_date }}\", rows = 3, full = true, "
                         "tags = [\"a\", \"b\"], nested = { x = 1.5 } }");
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto job = a.job(r, "dag");
  CHECK(job.at("state") == "success");
  CHECK(job.at("attempts") == 1);
  auto& out = job.at("outputs").as_object();
  const std::string run_id(out.at("run_id").as_string());
  CHECK(run_id.rfind("jobhost__2026-11-28__", 0) == 0);
  CHECK(out.at("dag_run_id") == json::value(run_id));
  CHECK(out.at("state") == "success");
  CHECK(out.at("url") == json::value(a.fake.url() + "/dags/etl_daily/grid?dag_run_id=" + run_id));
  CHECK(out.at("logical_date").as_string().starts_with("2026-11-28T00:00:00"));
  CHECK(a.fake.starts("etl_daily") == 1);
  CHECK(a.start_requests("etl_daily") == 1);
  auto runs = a.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].at("api") == "v1");
  CHECK(runs[0].at("conf") == json::parse(R"({"source": "s3://b/2026-11-28", "rows": 3, "full": true,
                                             "tags": ["a", "b"], "nested": {"x": 1.5}})"));
  CHECK_THAT(r.err, Catch::Contains("triggered DAG 'etl_daily'"));
  a.expect_clean(r);
}

TEST_CASE("airflow v2: a token from /auth/token, reused for every request", "[connectors][airflow]") {
  Airflow a("v2");
  a.dag_job("etl_daily", "logical_date = \"2026-11-27T06:00:00Z\", note = \"nightly\", "
                         "conf = '{\"a.b\": {\"c\": [1, null]}}'");
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto out = a.job(r, "dag").at("outputs").as_object();
  const std::string run_id(out.at("run_id").as_string());
  CHECK(out.at("url") == json::value(a.fake.url() + "/dags/etl_daily/runs/" + run_id));
  CHECK(out.at("logical_date") == "2026-11-27T06:00:00Z");
  auto log = a.fake.log();
  CHECK(log.at("token_requests") == 1);
  CHECK(log.at("runs").at(0).at("conf") == json::parse(R"({"a.b": {"c": [1, null]}})"));
  CHECK(count_operation(log, "trigger_dag_run") == 1);
  for (const auto& req : log.at("requests").as_array())
    if (req.at("operation") != "create_token") CHECK(req.at("auth") == "Bearer");
  a.expect_clean(r);
}

TEST_CASE("airflow v1: a static bearer token", "[connectors][airflow]") {
  Airflow a("v1", "token_secret = \"AF_TOKEN\"\n");
  a.dag_job("etl_daily");
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(count_operation(a.fake.log(), "post_dag_run") == 1);
  a.expect_clean(r);
}

TEST_CASE("airflow: a failed DAG run fails the attempt, names its tasks and is retried as a new run",
          "[connectors][airflow]") {
  Airflow a;
  a.dag_job("fails", "", "retries = 1\nretry_delay = \"10ms\"\n");
  auto r = a.run();
  CHECK(r.exit_code == 1);
  auto job = a.job(r, "dag");
  CHECK(job.at("state") == "failed");
  CHECK(job.at("attempts") == 2);
  const std::string error(job.at("error").as_string());
  CHECK_THAT(error, Catch::Contains("Airflow run jobhost__2026-11-28__"));
  CHECK_THAT(error, Catch::Contains("DAG 'fails', failed tasks: main (try 1)"));
  // The failed task instance and its log link are in the attempt log.
  CHECK_THAT(r.err, Catch::Contains("task main: failed (try 1), log: " + a.fake.url() +
                                    "/dags/fails/grid?dag_run_id=jobhost__2026-11-28__"));
  // Each attempt is its own DAG run; the second one's logical date was taken by the first.
  CHECK(a.fake.starts("fails") == 2);
  CHECK_THAT(r.err, Catch::Contains("already has a run with logical date 2026-11-28T00:00:00+00:00"));
  auto runs = a.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("dag_run_id") != runs[1].at("dag_run_id"));
  a.expect_clean(r);
}

TEST_CASE("airflow: an explicit logical date that is taken fails without a retry loop", "[connectors][airflow]") {
  Airflow a;
  a.dag_job("fails", "logical_date = \"2026-11-28\"", "retries = 2\nretry_delay = \"10ms\"\n");
  auto r = a.run();
  CHECK(r.exit_code == 1);
  auto job = a.job(r, "dag");
  CHECK(job.at("attempts") == 2);  // the remote failure, then the refused second trigger
  CHECK_THAT(std::string(job.at("error").as_string()),
             Catch::Contains("DAG 'fails' already has a run with logical date 2026-11-28T00:00:00+00:00 "
                             "on connection 'af'"));
  CHECK(a.fake.starts("fails") == 1);
  a.expect_clean(r);
}

TEST_CASE("airflow: a timeout cancels the DAG run by marking it failed", "[connectors][airflow]") {
  for (const std::string api : {"v1", "v2"}) {
    INFO(api);
    Airflow a(api);
    a.dag_job("cancels", "", "timeout = \"1s\"\n");
    auto r = a.run();
    CHECK(r.exit_code == 1);
    auto job = a.job(r, "dag");
    CHECK(job.at("state") == "failed");
    CHECK_THAT(std::string(job.at("error").as_string()), Catch::Contains("timed out"));
    auto log = a.fake.log();
    CHECK(count_operation(log, api == "v1" ? "update_dag_run_state" : "patch_dag_run") == 1);
    auto runs = log.at("runs").as_array();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].at("state") == "failed");
    CHECK(runs[0].at("cancelled") == true);
    CHECK_THAT(r.err, Catch::Contains("marked DAG run 'jobhost__2026-11-28__"));
    a.expect_clean(r);
  }
}

TEST_CASE("airflow: wait = false succeeds right after the trigger, and a paused DAG is warned about",
          "[connectors][airflow]") {
  Airflow a;
  a.control(R"({"targets": {"etl_daily": {"paused": true}}})");
  a.dag_job("etl_daily", "wait = false");
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto out = a.job(r, "dag").at("outputs").as_object();
  CHECK(out.at("run_id").as_string().starts_with("jobhost__2026-11-28__"));
  CHECK(out.contains("url"));
  CHECK_THAT(r.err, Catch::Contains("DAG 'etl_daily' is paused"));
  auto log = a.fake.log();
  CHECK(count_operation(log, "post_dag_run") == 1);
  CHECK(count_operation(log, "get_dag_run") == 0);
  a.expect_clean(r);
}

TEST_CASE("airflow: wrong credentials fail fatally without retries", "[connectors][airflow]") {
  for (const std::string api : {"v1", "v2"}) {
    INFO(api);
    Airflow a(api, "username = \"svc_jobhost\"\npassword_secret = \"AF_WRONG\"\n");
    a.dag_job("etl_daily", "", "retries = 3\nretry_delay = \"10ms\"\n");
    auto r = a.run();
    CHECK(r.exit_code == 1);
    auto job = a.job(r, "dag");
    CHECK(job.at("attempts") == 1);
    CHECK_THAT(std::string(job.at("error").as_string()),
               Catch::Contains("authentication failed for connection af"));
    CHECK(a.start_requests("etl_daily") == 0);
    CHECK(a.everything_written(r).find("not-the-S3cr3t") == std::string::npos);
    CHECK(a.fake.violations().empty());
  }
}

TEST_CASE("airflow: an unknown DAG fails fatally and names it", "[connectors][airflow]") {
  Airflow a("v2");
  a.dag_job("no_such_dag", "", "retries = 3\nretry_delay = \"10ms\"\n");
  auto r = a.run();
  CHECK(r.exit_code == 1);
  auto job = a.job(r, "dag");
  CHECK(job.at("attempts") == 1);
  CHECK(job.at("error") == "DAG 'no_such_dag' not found on connection 'af'");
  CHECK(a.fake.starts("no_such_dag") == 0);
  a.expect_clean(r);
}

TEST_CASE("airflow: 429 with Retry-After, 503s and malformed JSON are survived", "[connectors][airflow]") {
  Airflow a;
  a.control(R"({"faults": [
      {"match": "POST /api/v1/dags/etl_daily/dagRuns", "count": 1, "status": 429, "retry_after": "1"},
      {"match": "GET /api/v1/dags/etl_daily/dagRuns/", "count": 2, "status": 503},
      {"match": "GET /api/v1/dags/etl_daily/dagRuns/", "count": 1, "malformed": true}]})");
  a.dag_job("etl_daily");
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(a.job(r, "dag").at("attempts") == 1);
  CHECK(a.fake.starts("etl_daily") == 1);
  auto log = a.fake.log();
  int posts = 0;
  for (const auto& req : log.at("requests").as_array())
    posts += req.at("method") == "POST" && req.at("path") == "/api/v1/dags/etl_daily/dagRuns";
  CHECK(posts == 2);  // the 429, then the accepted one
  CHECK(a.fake.log().at("faults_pending").as_array().empty());
  a.expect_clean(r);
}

TEST_CASE("airflow: a lost trigger answer is retried and re-attaches to the run it created",
          "[connectors][airflow]") {
  Airflow a;
  a.control(R"({"faults": [{"match": "POST /api/v1/dags/etl_daily/dagRuns", "count": 1,
                                 "drop": true, "after": true}]})");
  a.dag_job("etl_daily");
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(a.fake.starts("etl_daily") == 1);
  CHECK(a.start_requests("etl_daily") == 2);  // the second one was answered 409
  CHECK_THAT(r.err, Catch::Contains("exists already"));
  CHECK_THAT(r.err, Catch::Contains("re-attached"));
  a.expect_clean(r);
}

TEST_CASE("airflow v2: an expired token is replaced and polling goes on", "[connectors][airflow]") {
  Airflow a("v2");
  a.dag_job("cancels");
  ::setenv("JOBHOST_SECRET_AF_PASS", "af-pass-S3cr3t-91", 1);
  ChildProcess host(a.dir.str(), {"run", "p.toml", "--date", kConnectorDate, "--json", "--state",
                                  "state.db", "--plugin-path", "plug", "--config", "jobhost.toml"},
                    a.dir.str("out.txt"), a.dir.str("err.txt"));
  REQUIRE(a.wait_for([&] { return count_operation(a.fake.log(), "get_dag_run") >= 1 || host.poll(); }));
  a.control(R"({"expire_tokens": true})");
  REQUIRE(a.wait_for([&] { return a.fake.log().at("token_requests") == 2 || host.poll(); }));
  const std::string run_id(a.runs().at(0).at("dag_run_id").as_string());
  a.finish_run("cancels", run_id, "success");
  const int status = host.wait();
  INFO(read_file(a.dir.str("err.txt")));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto log = a.fake.log();
  int unauthorized = 0;
  for (const auto& req : log.at("requests").as_array()) unauthorized += req.at("status") == 401;
  CHECK(unauthorized == 1);
  CHECK(a.fake.starts("cancels") == 1);
  CliResult r{0, read_file(a.dir.str("out.txt")), read_file(a.dir.str("err.txt"))};
  a.expect_clean(r);
}

TEST_CASE("airflow crash: kill -9 while the run is deferred, then the rerun re-attaches",
          "[connectors][airflow]") {
  Airflow a;
  a.dag_job("cancels");
  ::setenv("JOBHOST_SECRET_AF_PASS", "af-pass-S3cr3t-91", 1);
  {
    ChildProcess host(a.dir.str(), {"run", "p.toml", "--date", kConnectorDate, "--state", "state.db",
                                    "--plugin-path", "plug", "--config", "jobhost.toml"},
                      a.dir.str("out1.txt"), a.dir.str("err1.txt"));
    REQUIRE(a.wait_for([&] {
      auto shown = run_cli("show --pipeline p --date " + kConnectorDate + " --json --state state.db", a.dir);
      return shown.out.find("\"state\":\"deferred\"") != std::string::npos || host.poll();
    }));
    host.kill(SIGKILL);
    host.wait();
  }
  const std::string run_id(a.runs().at(0).at("dag_run_id").as_string());
  a.finish_run("cancels", run_id, "success");
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto job = a.job(r, "dag");
  CHECK(job.at("state") == "success");
  CHECK(job.at("outputs").at("run_id") == json::value(run_id));
  CHECK(a.fake.starts("cancels") == 1);
  CHECK(a.start_requests("cancels") == 1);
  a.expect_clean(r);
}

TEST_CASE("airflow crash: kill -9 between the trigger and its answer, then the rerun adopts the run",
          "[connectors][airflow]") {
  // The run is created, then the answer is a 503 asking to come back in 60 s: the host is
  // killed while it waits, before it recorded anything about the run.
  Airflow a;
  a.control(R"({"faults": [{"match": "POST /api/v1/dags/etl_daily/dagRuns", "count": 1,
                                 "status": 503, "retry_after": "60", "after": true}]})");
  a.dag_job("etl_daily");
  ::setenv("JOBHOST_SECRET_AF_PASS", "af-pass-S3cr3t-91", 1);
  {
    ChildProcess host(a.dir.str(), {"run", "p.toml", "--date", kConnectorDate, "--state", "state.db",
                                    "--plugin-path", "plug", "--config", "jobhost.toml"},
                      a.dir.str("out1.txt"), a.dir.str("err1.txt"));
    REQUIRE(a.wait_for([&] { return a.fake.starts("etl_daily") == 1 || host.poll(); }));
    REQUIRE_FALSE(host.poll());
    host.kill(SIGKILL);
    host.wait();
  }
  auto r = a.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(a.job(r, "dag").at("state") == "success");
  CHECK(a.fake.starts("etl_daily") == 1);
  CHECK(a.start_requests("etl_daily") == 2);
  CHECK_THAT(r.err, Catch::Contains("exists already"));
  a.expect_clean(r);
}

TEST_CASE("airflow: jobhost connections test proves reachability and credentials", "[connectors][airflow]") {
  for (const std::string api : {"v1", "v2"}) {
    INFO(api);
    Airflow a(api);
    auto ok = a.cli("connections test af");
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.out + ok.err,
               Catch::Contains(std::string(api == "v1" ? "Airflow 2" : "Airflow 3") + " at " + a.fake.url() +
                               " (API " + api + "), authenticated as svc_jobhost; metadatabase healthy"));
    CHECK(a.fake.violations().empty());
  }
  Airflow bad("v1", "username = \"svc_jobhost\"\npassword_secret = \"AF_WRONG\"\n");
  auto r = bad.cli("connections test af");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("authentication failed for connection af"));
  CHECK((r.out + r.err).find("S3cr3t") == std::string::npos);
  CHECK(bad.fake.violations().empty());
}
