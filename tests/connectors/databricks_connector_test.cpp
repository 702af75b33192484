// databricks.run_job end to end: the real jobhost binary and the databricks plugin against the
// fake Databricks workspace (tests/connectors/fake_engines/databricks.py), which checks every
// request against the Jobs 2.1 spec. Plus the status mapping as a unit (databricks_status.hpp).
#include <catch2/catch.hpp>

#include <csignal>

#include "connector_cli_support.hpp"
#include "connectors/fake_host.hpp"
#include "databricks_engine.hpp"
#include "databricks_status.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace dbx = jobhost::connectors::databricks;
using Phase = jobhost::connectors::RemoteStatus::Phase;

namespace {

const std::string kPat = "dapi-S3cr3t-93";

// A workspace connection "dbx" (PAT unless `auth` says otherwise); secrets are files in
// secrets_dir, so a child process started without a shell sees them too.
struct Dbx : ConnectorCli {
  explicit Dbx(const std::string& auth = "token_secret = \"DBX_TOKEN\"") : ConnectorCli("databricks", "databricks") {
    std::filesystem::create_directories(dir.str("secrets"));
    write_file(dir.str("secrets/DBX_TOKEN"), kPat);
    write_file(dir.str("secrets/DBX_CLIENT_SECRET"), "dbx-S3cr3t-94");
    write_file(dir.str("secrets/WRONG"), "wrong-S3cr3t-00");
    connection(auth);
  }
  void connection(const std::string& auth, const std::string& extra = "") const {
    host_config("secrets_dir = \"secrets\"\n[connections.dbx]\ntype = \"databricks\"\nurl = \"" +
                fake.url() + "\"\n" + auth + "\ntimeout = \"5s\"\nretry_backoff = \"10ms\"\n" + extra);
  }
  // One job "j" running Databricks job `job_id`.
  void one_job(const std::string& job_id, const std::string& config = "",
               const std::string& keys = "", const std::string& poll = "50ms") const {
    pipeline(connector_job("j", "databricks.run_job",
                           "connection = \"dbx\", job_id = " + job_id + ", poll_interval = \"" + poll + "\"" +
                               (config.empty() ? "" : ", " + config),
                           keys));
  }
  // POST /_fake/control with this JSON text.
  void control(const std::string& json_text) const { fake.control(json_text); }
  // No secret in anything the host wrote, and no request the spec does not allow.
  void check_clean(const CliResult& r) const {
    CHECK(everything_written(r).find("S3cr3t") == std::string::npos);
    const auto violations = fake.violations();
    INFO(json::serialize(violations));
    CHECK(violations.empty());
  }
  json::object only_run() const {
    auto runs = fake.log().at("runs").as_array();
    REQUIRE(runs.size() == 1);
    return runs[0].as_object();
  }
};

int64_t start_requests(const json::object& log, const std::string& target) {
  const auto* n = log.at("start_requests").as_object().if_contains(target);
  return n ? n->to_number<int64_t>() : 0;
}

}  // namespace

TEST_CASE("databricks: a successful run publishes run_id, url and state after exactly one start",
          "[connectors][databricks]") {
  Dbx t;
  t.one_job("101", "job_parameters = { run_date = \"{{ run.logical_date }}\", full = true, n = 3 }");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "success");
  auto& out = j.at("outputs").as_object();
  auto run = t.only_run();
  CHECK(out.at("run_id") == run.at("id"));
  CHECK(out.at("url").as_string().find("#job/101/run/" + std::string(run.at("id").as_string())) !=
        json::string::npos);
  CHECK(out.at("state") == "SUCCESS");
  CHECK(out.at("result_state") == "SUCCESS");
  CHECK(out.at("life_cycle_state") == "TERMINATED");
  CHECK(t.fake.starts("101") == 1);
  // The attempt's idempotency key went out as the token; parameters as text.
  CHECK(run.at("idempotency_token") == j.at("idempotency_key"));
  CHECK(run.at("job_parameters") ==
        json::parse(R"({"run_date": "2026-11-28", "full": "true", "n": "3"})"));
  t.check_clean(r);
}

TEST_CASE("databricks: a failed run is retried with a new run and logs the task error",
          "[connectors][databricks]") {
  Dbx t;
  t.one_job("102", "", "retries = 1\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "failed");
  CHECK(j.at("attempts") == 2);
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("Py4JJavaError: boom"));
  CHECK_THAT(r.err, Catch::Contains("task main: Py4JJavaError: boom"));
  CHECK_THAT(r.err, Catch::Contains("run_cmd.py"));  // a line of the error trace
  CHECK_THAT(r.err, Catch::Contains("termination: RUN_EXECUTION_ERROR"));
  // Each attempt started its own run, with its own token.
  auto log = t.fake.log();
  CHECK(t.fake.starts("102") == 2);
  auto& runs = log.at("runs").as_array();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("idempotency_token") != runs[1].at("idempotency_token"));
  t.check_clean(r);
}

TEST_CASE("databricks: an INTERNAL_ERROR run fails with the cluster message",
          "[connectors][databricks]") {
  Dbx t;
  t.one_job("105");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "failed");
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("INTERNAL_ERROR"));
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("CLOUD_PROVIDER_LAUNCH_FAILURE"));
  t.check_clean(r);
}

TEST_CASE("databricks: a run cancelled remotely ends the job cancelled", "[connectors][databricks]") {
  Dbx t;
  t.one_job("103", "", "retries = 2\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "cancelled");
  CHECK(j.at("attempts") == 1);
  CHECK(t.fake.starts("103") == 1);
  t.check_clean(r);
}

TEST_CASE("databricks: a SKIPPED run skips the job", "[connectors][databricks]") {
  Dbx t;
  t.one_job("104");
  auto r = t.run();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(Dbx::job(r, "j").at("state") == "skipped");
  t.check_clean(r);
}

TEST_CASE("databricks: a jobhost-side timeout cancels the remote run", "[connectors][databricks]") {
  Dbx t;
  t.control(R"({"targets": {"201": {"outcome": "hang"}}})");
  // Polls further apart than the timeout: it expires while the attempt waits deferred.
  t.one_job("201", "", "timeout = \"600ms\"\n", "2s");
  auto r = t.run();
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "failed");
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("timed out"));
  CHECK(t.only_run().at("cancel_requested") == true);
  CHECK(count_operation(t.fake.log(), "JobsRunsCancel") == 1);
  t.check_clean(r);
}

TEST_CASE("databricks: wait = false succeeds right after the start", "[connectors][databricks]") {
  Dbx t;
  t.control(R"({"targets": {"201": {"outcome": "hang"}}})");
  t.one_job("201", "wait = false");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = Dbx::job(r, "j");
  auto run = t.only_run();
  CHECK(j.at("outputs").at("run_id") == run.at("id"));
  CHECK(j.at("outputs").at("url").as_string().find("/run/") != json::string::npos);
  CHECK(run.at("reads") == 0);  // no status read
  CHECK(t.fake.starts("201") == 1);
  t.check_clean(r);
}

TEST_CASE("databricks: a wrong token fails at once with authentication failed", "[connectors][databricks]") {
  Dbx t("token_secret = \"WRONG\"");
  t.one_job("101", "", "retries = 3\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "failed");
  CHECK(j.at("attempts") == 1);
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("authentication failed for connection dbx"));
  CHECK(t.fake.starts("101") == 0);
  t.check_clean(r);
}

TEST_CASE("databricks: an unknown job fails at once naming the job and the connection",
          "[connectors][databricks]") {
  Dbx t;
  t.one_job("999", "", "retries = 2\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("attempts") == 1);
  CHECK(j.at("error") == "Databricks job 999 not found on connection 'dbx'");
  t.check_clean(r);
}

TEST_CASE("databricks: OAuth M2M fetches one token and refreshes it after a 401",
          "[connectors][databricks]") {
  Dbx t("client_id = \"dbx-client\"\nclient_secret_secret = \"DBX_CLIENT_SECRET\"");
  t.control(R"({"faults": [{"match": "GET /api/2.1/jobs/runs/get", "status": 401}]})");
  t.one_job("101");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto log = t.fake.log();
  CHECK(log.at("token_requests") == 2);  // the first token, then one after the 401
  CHECK(count_operation(log, "x-jobhost-OidcDiscovery") >= 1);
  CHECK(t.fake.starts("101") == 1);
  for (const auto& req : log.at("requests").as_array())
    if (req.at("path").as_string().starts_with("/api/")) CHECK(req.at("auth") == "Bearer");
  t.check_clean(r);
}

TEST_CASE("databricks: a wrong OAuth client secret fails at once", "[connectors][databricks]") {
  Dbx t("client_id = \"dbx-client\"\nclient_secret_secret = \"WRONG\"");
  t.one_job("101", "", "retries = 2\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("attempts") == 1);
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("authentication failed for connection dbx"));
  t.check_clean(r);
}

TEST_CASE("databricks: 429, 503, a lost start reply and malformed JSON are survived with one start",
          "[connectors][databricks]") {
  Dbx t;
  t.control(R"({"faults": [
    {"match": "POST /api/2.1/jobs/run-now", "status": 503, "after": true},
    {"match": "GET /api/2.1/jobs/runs/get", "status": 429, "retry_after": "1"},
    {"match": "GET /api/2.1/jobs/runs/get", "count": 2, "status": 503},
    {"match": "GET /api/2.1/jobs/runs/get", "malformed": true}]})");
  t.one_job("101");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto log = t.fake.log();
  // The start was sent twice (its first reply was lost), the token made it one run.
  CHECK(start_requests(log, "101") == 2);
  CHECK(t.fake.starts("101") == 1);
  CHECK(log.at("faults_pending").as_array().empty());
  CHECK(Dbx::job(r, "j").at("outputs").at("state") == "SUCCESS");
  t.check_clean(r);
}

TEST_CASE("databricks: kill -9 between the start request and its record reuses the run",
          "[connectors][databricks][crash]") {
  Dbx t;
  // The run is created, its reply says 503 + Retry-After 60: the host waits, not recorded.
  t.control(R"({"faults": [{"match": "POST /api/2.1/jobs/run-now", "status": 503,
                                 "retry_after": "60", "after": true}]})");
  t.one_job("101");
  {
    ChildProcess host(t.dir.str(), {"run", "p.toml", "--date", kConnectorDate, "--plugin-path",
                                    "plug", "--config", "jobhost.toml", "--state", "state.db"},
                      t.dir.str("out1.txt"), t.dir.str("err1.txt"));
    REQUIRE(ConnectorCli::wait_for([&] { return t.fake.starts("101") == 1; }));
    host.kill(SIGKILL);
    host.wait();
  }
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto log = t.fake.log();
  CHECK(start_requests(log, "101") == 2);
  CHECK(t.fake.starts("101") == 1);
  CHECK(Dbx::job(r, "j").at("outputs").at("run_id") == t.only_run().at("id"));
  t.check_clean(r);
}

TEST_CASE("databricks: kill -9 while deferred, then the rerun re-attaches without a second start",
          "[connectors][databricks][crash]") {
  Dbx t;
  t.control(R"({"targets": {"202": {"outcome": "success", "duration_ms": 3000}}})");
  t.one_job("202");
  {
    ChildProcess host(t.dir.str(), {"run", "p.toml", "--date", kConnectorDate, "--plugin-path",
                                    "plug", "--config", "jobhost.toml", "--state", "state.db"},
                      t.dir.str("out1.txt"), t.dir.str("err1.txt"));
    REQUIRE(ConnectorCli::wait_for([&] {
      auto shown = run_cli("show --pipeline p --date " + kConnectorDate + " --json --state state.db", t.dir);
      return shown.out.find("\"deferred\"") != std::string::npos;
    }));
    host.kill(SIGKILL);
    host.wait();
  }
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("re-attached"));
  CHECK(t.fake.starts("202") == 1);
  CHECK(start_requests(t.fake.log(), "202") == 1);
  CHECK(Dbx::job(r, "j").at("attempts") == 1);
  t.check_clean(r);
}

TEST_CASE("databricks: connections test probes the workspace", "[connectors][databricks]") {
  Dbx t;
  auto ok = t.cli("connections test dbx");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out + ok.err, Catch::Contains("Databricks workspace at " + t.fake.url() +
                                              ", authenticated (PAT)"));
  t.connection("client_id = \"dbx-client\"\nclient_secret_secret = \"DBX_CLIENT_SECRET\"");
  auto oauth = t.cli("connections test dbx");
  CHECK(oauth.exit_code == 0);
  CHECK_THAT(oauth.out + oauth.err, Catch::Contains("authenticated (OAuth client dbx-client)"));
  t.connection("token_secret = \"WRONG\"");
  auto bad = t.cli("connections test dbx");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.out + bad.err, Catch::Contains("authentication failed for connection dbx"));
  CHECK((ok.out + ok.err + oauth.out + oauth.err + bad.out + bad.err).find("S3cr3t") == std::string::npos);
  CHECK(t.fake.violations().empty());
}

// ---- the status mapping, without a server ----

namespace {

jobhost::connectors::RemoteStatus map(const std::string& run, bool partial_ok = false) {
  dbx::StatusOptions options;
  options.success_with_failures_ok = partial_ok;
  return dbx::map_run(json::parse(run).as_object(), options);
}

}  // namespace

TEST_CASE("databricks status: life cycle states before the end are running", "[connectors][databricks][unit]") {
  for (const char* life : {"PENDING", "QUEUED", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"}) {
    INFO(life);
    auto st = map(std::string(R"({"state": {"life_cycle_state": ")") + life + R"("}})");
    CHECK(st.phase == Phase::kRunning);
    CHECK(st.state == life);
  }
  // The newer status object wins: TERMINATING is not the end even with a result.
  CHECK(map(R"({"state": {"life_cycle_state": "TERMINATING", "result_state": "SUCCESS"},
                "status": {"state": "TERMINATING"}})").phase == Phase::kRunning);
}

TEST_CASE("databricks status: legacy result states", "[connectors][databricks][unit]") {
  auto ended = [](const std::string& result) {
    return map(R"({"state": {"life_cycle_state": "TERMINATED", "result_state": ")" + result +
               R"(", "state_message": "why"}})");
  };
  CHECK(ended("SUCCESS").phase == Phase::kSucceeded);
  CHECK(ended("SUCCESS").message.empty());
  for (const char* failed : {"FAILED", "TIMEDOUT", "MAXIMUM_CONCURRENT_RUNS_REACHED", "UPSTREAM_FAILED",
                             "UPSTREAM_CANCELED", "SUCCESS_WITH_FAILURES"}) {
    INFO(failed);
    auto st = ended(failed);
    CHECK(st.phase == Phase::kFailed);
    CHECK(st.message == "why");
    CHECK(st.state == failed);
  }
  CHECK(ended("CANCELED").phase == Phase::kCancelled);
  CHECK(ended("EXCLUDED").phase == Phase::kSkipped);
  CHECK(map(R"({"state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS_WITH_FAILURES"}})", true)
            .phase == Phase::kSucceeded);
  auto skipped = map(R"({"state": {"life_cycle_state": "SKIPPED", "state_message": "limit"}})");
  CHECK(skipped.phase == Phase::kSkipped);
  CHECK(skipped.state == "SKIPPED");
  CHECK(skipped.message == "limit");
  auto internal = map(R"({"state": {"life_cycle_state": "INTERNAL_ERROR", "result_state": "FAILED"}})");
  CHECK(internal.phase == Phase::kFailed);
  CHECK(internal.state == "INTERNAL_ERROR");
}

TEST_CASE("databricks status: the termination code is preferred when present", "[connectors][databricks][unit]") {
  auto code = [](const std::string& c, const std::string& result = "FAILED") {
    return map(R"({"state": {"life_cycle_state": "TERMINATED", "result_state": ")" + result +
               R"(", "state_message": "old"}, "status": {"state": "TERMINATED",
               "termination_details": {"code": ")" + c + R"(", "type": "CLIENT_ERROR", "message": "new"}}})");
  };
  CHECK(code("SUCCESS").phase == Phase::kSucceeded);
  CHECK(code("USER_CANCELED").phase == Phase::kCancelled);
  CHECK(code("CANCELED").phase == Phase::kCancelled);
  CHECK(code("SKIPPED").phase == Phase::kSkipped);
  CHECK(code("DISABLED").phase == Phase::kSkipped);
  auto failed = code("DRIVER_ERROR", "SUCCESS");
  CHECK(failed.phase == Phase::kFailed);
  CHECK(failed.message == "new");
  CHECK(failed.outputs.at("termination_code") == "DRIVER_ERROR");
  REQUIRE(failed.details.size() == 1);
  CHECK(failed.details[0] == "termination: DRIVER_ERROR (CLIENT_ERROR)");
  CHECK(code("SUCCESS_WITH_FAILURES").phase == Phase::kFailed);
}

TEST_CASE("databricks status: failed tasks and their error lines", "[connectors][databricks][unit]") {
  auto run = json::parse(R"({"state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED"},
    "tasks": [
      {"task_key": "a", "run_id": 11, "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}},
      {"task_key": "b", "run_id": 12, "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED"}},
      {"task_key": "c", "run_id": 13, "state": {"life_cycle_state": "TERMINATED", "result_state": "UPSTREAM_FAILED"},
       "status": {"state": "TERMINATED", "termination_details": {"code": "RUN_EXECUTION_ERROR"}}}]})")
                 .as_object();
  auto tasks = dbx::failed_tasks(run, {});
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].key == "b");
  CHECK(tasks[0].run_id == 12);
  CHECK(tasks[1].key == "c");
  auto lines = dbx::task_error_lines(
      "b", json::parse(R"({"error": "ValueError: bad", "error_trace": "1\n2\n3\n4\n5\n6\nValueError: bad"})")
               .as_object());
  CHECK(lines == std::vector<std::string>{"task b: ValueError: bad", "  1", "  2", "  3", "  ...", "  6",
                                          "  ValueError: bad"});
}

TEST_CASE("databricks status: idempotency tokens fit 64 characters", "[connectors][databricks][unit]") {
  CHECK(dbx::idempotency_token("jh-0123") == "jh-0123");
  const std::string long_key(100, 'k');
  const std::string token = dbx::idempotency_token(long_key);
  CHECK(token.size() == 64);
  CHECK(token == dbx::idempotency_token(long_key));
  CHECK(token != dbx::idempotency_token(long_key + "x"));
}

// ---- one-time runs (runs/submit); the fake's target is the run_name ----

namespace {

// A runs/submit body with one task, as the inside of an inline table.
std::string submit_config(const std::string& run_name) {
  return "submit = { run_name = \"" + run_name +
         "\", timeout_seconds = 3600, tasks = [{ task_key = \"main\", existing_cluster_id = "
         "\"0101-000000-fake\", spark_python_task = { python_file = \"/Workspace/Shared/run_cmd.py\", "
         "parameters = [\"{{ run.logical_date }}\"] } }] }";
}

// One job "j" running a one-time run of `submit_config(run_name)`.
void one_submit(const Dbx& t, const std::string& run_name, const std::string& keys = "",
                const std::string& config = "") {
  t.pipeline(connector_job("j", "databricks.run_job",
                           "connection = \"dbx\", poll_interval = \"50ms\", " + submit_config(run_name) +
                               (config.empty() ? "" : ", " + config),
                           keys));
}

// runs/submit requests received, answered or not (a request dropped before it is served has
// no operation in the log).
int64_t submit_requests(const json::object& log) {
  int64_t n = 0;
  for (const auto& r : log.at("requests").as_array())
    if (r.at("method") == "POST" && r.at("path") == "/api/2.1/jobs/runs/submit") ++n;
  return n;
}

}  // namespace

TEST_CASE("databricks submit: a one-time run succeeds with its outputs after exactly one start",
          "[connectors][databricks][submit]") {
  Dbx t;
  // The documented form: config and submit as tables, the tasks as an array of tables.
  t.pipeline(R"([[jobs]]
name = "j"
uses = "databricks.run_job"
[jobs.config]
connection = "dbx"
poll_interval = "50ms"
[jobs.config.submit]
run_name = "adhoc_{{ run.logical_date }}"
[[jobs.config.submit.tasks]]
task_key = "extract"
existing_cluster_id = "0101-000000-fake"
spark_python_task = { python_file = "/Workspace/Shared/run_cmd.py", parameters = ["{{ run.logical_date }}"] }
[[jobs.config.submit.tasks]]
task_key = "load"
depends_on = [{ task_key = "extract" }]
existing_cluster_id = "0101-000000-fake"
notebook_task = { notebook_path = "/Workspace/Shared/load", base_parameters = { day = "{{ run.logical_date }}" } }
)");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "success");
  const std::string target = "adhoc_" + kConnectorDate;  // the template expanded in run_name
  CHECK(t.fake.starts(target) == 1);
  CHECK(submit_requests(t.fake.log()) == 1);
  CHECK(count_operation(t.fake.log(), "JobsRunNow") == 0);
  auto run = t.only_run();
  CHECK(run.at("target").as_string() == target);
  CHECK(run.at("run_type") == "SUBMIT_RUN");
  CHECK(run.at("idempotency_token") == j.at("idempotency_key"));
  auto& out = j.at("outputs").as_object();
  CHECK(out.at("run_id") == run.at("id"));
  CHECK(out.at("url").as_string().find("/run/" + std::string(run.at("id").as_string())) !=
        json::string::npos);
  CHECK(out.at("url") == out.at("run_page_url"));
  CHECK(out.at("state") == "SUCCESS");
  CHECK(out.at("result_state") == "SUCCESS");
  CHECK(out.at("life_cycle_state") == "TERMINATED");
  t.check_clean(r);
}

TEST_CASE("databricks submit: a failed one-time run is retried with a new run and logs the task error",
          "[connectors][databricks][submit]") {
  Dbx t;
  t.control(R"({"targets": {"nightly_fails": {"outcome": "failed", "message": "ValueError: bad input"}}})");
  one_submit(t, "nightly_fails", "retries = 1\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("state") == "failed");
  CHECK(j.at("attempts") == 2);
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("ValueError: bad input"));
  CHECK_THAT(r.err, Catch::Contains("task main: ValueError: bad input"));
  CHECK_THAT(r.err, Catch::Contains("termination: RUN_EXECUTION_ERROR"));
  auto log = t.fake.log();
  CHECK(t.fake.starts("nightly_fails") == 2);
  CHECK(submit_requests(log) == 2);
  auto& runs = log.at("runs").as_array();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("idempotency_token") != runs[1].at("idempotency_token"));
  t.check_clean(r);
}

TEST_CASE("databricks submit: a lost or dropped start reply still gives one run",
          "[connectors][databricks][submit]") {
  Dbx t;
  // The first submit creates the run and its reply is lost (503); the second is dropped
  // before it is served; the third finds the run by its token.
  t.control(R"({"faults": [
    {"match": "POST /api/2.1/jobs/runs/submit", "status": 503, "after": true},
    {"match": "POST /api/2.1/jobs/runs/submit", "drop": true}]})");
  one_submit(t, "lossy");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto log = t.fake.log();
  CHECK(log.at("faults_pending").as_array().empty());
  CHECK(submit_requests(log) == 3);
  CHECK(count_operation(log, "JobsRunsSubmit") == 2);
  CHECK(start_requests(log, "lossy") == 2);  // the dropped one never reached the engine
  CHECK(t.fake.starts("lossy") == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("attempts") == 1);
  CHECK(j.at("outputs").at("run_id") == t.only_run().at("id"));
  CHECK(j.at("outputs").at("state") == "SUCCESS");
  t.check_clean(r);
}

TEST_CASE("databricks submit: the attempt's key replaces an idempotency_token in the body",
          "[connectors][databricks][submit]") {
  Dbx t;
  // As a JSON string: the form for bodies with dotted keys.
  t.pipeline(connector_job(
      "j", "databricks.run_job",
      R"(connection = "dbx", poll_interval = "50ms", wait = false, submit = '{"run_name": "json_body", "idempotency_token": "fixed-token", "tasks": [{"task_key": "main", "existing_cluster_id": "0101-000000-fake", "notebook_task": {"notebook_path": "/Workspace/Shared/load", "base_parameters": {"spark.sql.shuffle.partitions": "8"}}}]}')"));
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = Dbx::job(r, "j");
  auto run = t.only_run();
  CHECK(run.at("target") == "json_body");
  // (The job's record names its idempotency key only once it was deferred.)
  REQUIRE(run.at("idempotency_token").is_string());
  CHECK(run.at("idempotency_token") != "fixed-token");
  CHECK_FALSE(run.at("idempotency_token").as_string().empty());
  CHECK_THAT(r.err, Catch::Contains("submit.idempotency_token is not used"));
  // wait = false: the run's own page, read once after the start.
  CHECK(j.at("outputs").at("run_id") == run.at("id"));
  CHECK(j.at("outputs").at("url").as_string().find("/run/" + std::string(run.at("id").as_string())) !=
        json::string::npos);
  t.check_clean(r);
}

TEST_CASE("databricks submit: job_id and submit together, or run-now parameters with submit, are refused",
          "[connectors][databricks][submit]") {
  Dbx t;
  t.pipeline(connector_job("first", "databricks.run_job", "connection = \"dbx\", job_id = 101") +
             connector_job("both_given", "databricks.run_job",
                           "connection = \"dbx\", job_id = 101, " + submit_config("x")));
  auto v = t.cli("validate p.toml");
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.err, Catch::Contains("both_given"));
  CHECK_THAT(v.err, Catch::Contains("exactly one of"));
  CHECK_THAT(v.err, Catch::Contains("submit"));
  CHECK(v.err.find("'first'") == std::string::npos);

  // Beyond what the schema can say: checked when the job starts, fatal, nothing sent.
  one_submit(t, "params", "retries = 2\nretry_delay = \"10ms\"\n", "job_parameters = { a = 1 }");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Dbx::job(r, "j");
  CHECK(j.at("attempts") == 1);
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("'job_parameters' goes with 'job_id' only"));

  t.pipeline(connector_job("j", "databricks.run_job", "connection = \"dbx\", submit = { run_name = \"no_tasks\" }",
                           "retries = 2\n"));
  auto empty = t.cli("run p.toml --date " + kConnectorDate + " --json --state state2.db");
  CHECK(empty.exit_code == 1);
  CHECK(Dbx::job(empty, "j").at("attempts") == 1);
  CHECK_THAT(std::string(Dbx::job(empty, "j").at("error").as_string()), Catch::Contains("'submit.tasks'"));
  CHECK(submit_requests(t.fake.log()) == 0);
  t.check_clean(r);
}

// ---- the start request from the config, without a server ----

namespace {

const char* kSubmitJson =
    R"({"run_name": "r", "idempotency_token": "mine", "tasks": [{"task_key": "a-1_b", "spark_python_task": {"python_file": "/x.py"}}]})";

// The FatalError text of `f`, or "" when it does not throw one.
template <class F>
std::string fatal_of(F f) {
  try {
    f();
  } catch (const jobhost::FatalError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("databricks request: exactly one of job_id and submit, checked when the job starts",
          "[connectors][databricks][unit]") {
  jobhost::test::FakeHost host;
  host.config["connection"] = "dbx";
  jobhost::Context ctx = host.context();
  CHECK_THAT(fatal_of([&] { dbx::start_kind(ctx); }), Catch::Contains("needs 'job_id'"));
  host.config["job_id"] = 101;
  CHECK(dbx::start_kind(ctx) == dbx::StartKind::kRunNow);
  host.config["submit"] = kSubmitJson;
  CHECK_THAT(fatal_of([&] { dbx::start_kind(ctx); }), Catch::Contains("not both"));
  host.config.erase("job_id");
  CHECK(dbx::start_kind(ctx) == dbx::StartKind::kSubmit);
  for (const char* key : {"job_parameters", "notebook_params", "python_params", "jar_params"}) {
    INFO(key);
    host.config[key] = json::object{};
    CHECK_THAT(fatal_of([&] { dbx::start_kind(ctx); }),
               Catch::Contains(std::string("'") + key + "' goes with 'job_id' only"));
    host.config.erase(key);
  }
}

TEST_CASE("databricks request: the submit body gets the attempt's token and is checked",
          "[connectors][databricks][unit]") {
  jobhost::test::FakeHost host;
  host.config["submit"] = kSubmitJson;
  jobhost::Context ctx = host.context();
  const dbx::SubmitBody submit = dbx::submit_body(ctx);
  CHECK(submit.replaced_token);
  CHECK(submit.body.at("idempotency_token").as_string() == dbx::idempotency_token("key-1"));
  CHECK(submit.body.at("tasks").as_array().size() == 1);
  CHECK(dbx::submit_run_name(submit.body) == "r");
  CHECK(dbx::submit_run_name(json::object{}) == "Untitled");

  auto refused = [&](const std::string& body) {
    host.config["submit"] = body;
    return fatal_of([&] { dbx::submit_body(ctx); });
  };
  CHECK(refused(R"({"run_name": "r", "tasks": [{"task_key": "a"}]})").empty());
  CHECK_THAT(refused(R"({"run_name": "r"})"), Catch::Contains("'submit.tasks' must be an array of 1 to 100"));
  CHECK_THAT(refused(R"({"tasks": []})"), Catch::Contains("'submit.tasks'"));
  CHECK_THAT(refused(R"({"tasks": [7]})"), Catch::Contains("'submit.tasks[0]' must be a table"));
  CHECK_THAT(refused(R"({"tasks": [{"notebook_task": {}}]})"), Catch::Contains("'submit.tasks[0].task_key' is required"));
  CHECK_THAT(refused(R"({"tasks": [{"task_key": "a b"}]})"), Catch::Contains("'submit.tasks[0].task_key'"));
  CHECK_THAT(refused(R"({"tasks": [{"task_key": "a"}, {"task_key": "a"}]})"),
             Catch::Contains("'submit.tasks[1].task_key' repeats 'a'"));
  CHECK_THAT(refused(R"({"run_name": 3, "tasks": [{"task_key": "a"}]})"), Catch::Contains("'submit.run_name'"));
  CHECK_THAT(refused(R"({"timeout_seconds": -1, "tasks": [{"task_key": "a"}]})"),
             Catch::Contains("'submit.timeout_seconds'"));
  CHECK_THAT(refused(R"({"timeout_seconds": 3000000000, "tasks": [{"task_key": "a"}]})"),
             Catch::Contains("'submit.timeout_seconds'"));
  CHECK_THAT(refused("[1]"), Catch::Contains("a table or a string holding a JSON object"));
}
