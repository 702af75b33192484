// The prefect plugin (prefect.deployment_run, connection type "prefect") against the fake
// Prefect server (mounted at /api), driven through the real jobhost binary. Every test ends
// with zero spec violations.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <csignal>

#include "connector_cli_support.hpp"
#include "prefect_api.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace pf = jobhost::connectors::prefect;
using jobhost::connectors::RemoteStatus;

namespace {

const std::string kSecrets =
    "JOBHOST_SECRET_PF_KEY=pnu_S3cr3t96 JOBHOST_SECRET_PF_PASS=pf-S3cr3t-97 "
    "JOBHOST_SECRET_PF_WRONG=pnu_not-the-S3cr3t";
const std::string kApiKey = "api_key_secret = \"PF_KEY\"\n";
const std::string kDeploymentId = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

// A fake Prefect, the plugin, and a connection "pf" (`auth`: its credential keys).
struct Prefect : ConnectorCli {
  explicit Prefect(const std::string& auth = kApiKey, std::vector<std::string> flags = {})
      : ConnectorCli("prefect", "prefect", std::move(flags)) {
    secrets_env = kSecrets;
    host_config("[connections.pf]\ntype = \"prefect\"\nurl = \"" + fake.url() + "/api\"\n" + auth +
                "timeout = \"5s\"\nretry_backoff = \"10ms\"\nretry_backoff_max = \"100ms\"\n");
  }
  // One prefect.deployment_run job "flow" for `deployment`.
  void flow_job(const std::string& deployment, const std::string& config = "",
                const std::string& keys = "") const {
    pipeline(connector_job("flow", "prefect.deployment_run",
                           "connection = \"pf\", deployment = \"" + deployment + "\", poll_interval = \"50ms\"" +
                               (config.empty() ? "" : ", " + config),
                           keys));
  }
  json::array runs() const { return fake.log().at("runs").as_array(); }
  int64_t start_requests(const std::string& target) const {
    auto log = fake.log();
    const auto* n = log.at("start_requests").as_object().if_contains(target);
    return n ? n->to_number<int64_t>() : 0;
  }
  // Ends a hanging flow run the way a worker would report it.
  void finish_run(const std::string& id, const std::string& type) const {
    json::object body{{"state", json::object{{"type", type}}}};
    auto r = jobhost::http::request("POST", fake.url() + "/api/flow_runs/" + id + "/set_state",
                                    {{"Authorization", "Bearer pnu_S3cr3t96"},
                                     {"Content-Type", "application/json"}},
                                    json::serialize(body));
    REQUIRE(r.status == 201);
  }
  void hang_target(const std::string& name) const {
    control(R"({"targets": {")" + name + R"(": {"outcome": "hang"}}})");
  }
  void expect_clean(const CliResult& r) const {
    CHECK(everything_written(r).find("S3cr3t") == std::string::npos);
    const auto violations = fake.violations();
    INFO(json::serialize(violations));
    CHECK(violations.empty());
  }
};

std::vector<std::string> args_of_run(bool json_output) {
  std::vector<std::string> args{"run", "p.toml", "--date", kConnectorDate, "--state", "state.db",
                                "--plugin-path", "plug", "--config", "jobhost.toml"};
  if (json_output) args.push_back("--json");
  return args;
}

}  // namespace

// ---- unit: the API helpers ----------------------------------------------------------------

TEST_CASE("prefect api: state types map onto remote phases", "[connectors][prefect]") {
  auto status = [](const char* type, const char* message = nullptr) {
    json::object state{{"type", type}, {"name", "Name"}, {"message", message ? json::value(message) : json::value()}};
    return pf::flow_run_status(json::object{{"id", kDeploymentId}, {"name", "brisk-otter"}, {"state", state}});
  };
  for (auto type : {"SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING", "SOMETHING_NEW"})
    CHECK(status(type).phase == RemoteStatus::Phase::kRunning);
  CHECK(status("COMPLETED").phase == RemoteStatus::Phase::kSucceeded);
  CHECK(status("CANCELLED").phase == RemoteStatus::Phase::kCancelled);
  auto failed = status("FAILED", "Flow run encountered an exception: boom");
  CHECK(failed.phase == RemoteStatus::Phase::kFailed);
  CHECK(failed.state == "FAILED");
  CHECK(failed.message == "Flow run encountered an exception: boom");
  REQUIRE(failed.details.size() == 1);
  CHECK(failed.details[0] == "flow run brisk-otter ended in state Name (FAILED): Flow run encountered an exception: boom");
  auto crashed = status("CRASHED");
  CHECK(crashed.phase == RemoteStatus::Phase::kFailed);
  CHECK(crashed.message == "state Name");
  CHECK(status("COMPLETED").outputs.at("flow_run_id") == kDeploymentId);
}

TEST_CASE("prefect api: deployment references and UI links", "[connectors][prefect]") {
  auto by_name = pf::parse_deployment("etl/prod");
  REQUIRE(by_name);
  CHECK(by_name->flow == "etl");
  CHECK(by_name->name == "prod");
  auto by_id = pf::parse_deployment(kDeploymentId);
  REQUIRE(by_id);
  CHECK(by_id->id == kDeploymentId);
  CHECK_FALSE(pf::parse_deployment("etl"));
  CHECK_FALSE(pf::parse_deployment("etl/prod/x"));
  CHECK_FALSE(pf::parse_deployment("/prod"));
  CHECK(pf::ui_base("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200");
  CHECK(pf::ui_base("https://api.prefect.cloud/api/accounts/a1/workspaces/w2") ==
        "https://app.prefect.cloud/account/a1/workspace/w2");
  CHECK(pf::ui_base("http://x/api", "https://ui.example.com/") == "https://ui.example.com");
  CHECK(pf::flow_run_url("http://127.0.0.1:4200", "abc") == "http://127.0.0.1:4200/runs/flow-run/abc");
}

// ---- end to end ---------------------------------------------------------------------------

TEST_CASE("prefect: a flow run completes with outputs, its parameters, and one start", "[connectors][prefect]") {
  Prefect p;
  p.flow_job("etl/prod", "parameters = { date = \"{{ run.logical_date }}\", rows = 3, opts = { full = true } }, "
                         "tags = [\"jobhost\", \"nightly\"], job_variables = { image = \"etl:2\" }");
  auto r = p.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto job = p.job(r, "flow");
  CHECK(job.at("state") == "success");
  auto out = job.at("outputs").as_object();
  const std::string id(out.at("run_id").as_string());
  CHECK(pf::is_uuid(id));
  CHECK(out.at("flow_run_id") == json::value(id));
  CHECK(out.at("url") == json::value(p.fake.url() + "/runs/flow-run/" + id));
  CHECK(out.at("state") == "COMPLETED");
  CHECK(out.at("state_name") == "Completed");
  CHECK(out.contains("flow_run_name"));
  CHECK(p.fake.starts("etl/prod") == 1);
  auto runs = p.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].at("parameters") == json::parse(R"({"date": "2026-11-28", "rows": 3, "opts": {"full": true}})"));
  CHECK(runs[0].at("idempotency_key") == job.at("idempotency_key"));
  const auto log = p.fake.log();
  for (const auto& req : log.at("requests").as_array())
    if (req.at("operation") != "health_check_health_get") CHECK(req.at("auth") == "Bearer");
  p.expect_clean(r);
}

TEST_CASE("prefect: basic auth, no auth, and a deployment given by id", "[connectors][prefect]") {
  SECTION("basic auth") {
    Prefect p("username = \"prefect\"\npassword_secret = \"PF_PASS\"\n");
    p.flow_job("etl/prod");
    auto r = p.run();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    p.expect_clean(r);
  }
  SECTION("a self-hosted server without auth") {
    Prefect p("", {"--no-auth"});
    p.flow_job("etl/prod");
    auto r = p.run();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto log = p.fake.log();
    for (const auto& req : log.at("requests").as_array()) CHECK(req.at("auth").is_null());
    p.expect_clean(r);
  }
  SECTION("by id") {
    Prefect p;
    p.control(R"({"targets": {"etl/byid": {"outcome": "success", "id": ")" + kDeploymentId + R"("}}})");
    p.pipeline(connector_job("flow", "prefect.deployment_run",
                             "connection = \"pf\", deployment_id = \"" + kDeploymentId + "\", poll_interval = \"50ms\""));
    auto r = p.run();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(p.fake.starts("etl/byid") == 1);
    p.expect_clean(r);
  }
}

TEST_CASE("prefect: a failed flow run fails the attempt with its message and is retried as a new run",
          "[connectors][prefect]") {
  Prefect p;
  p.flow_job("etl/fails", "", "retries = 1\nretry_delay = \"10ms\"\n");
  auto r = p.run();
  CHECK(r.exit_code == 1);
  auto job = p.job(r, "flow");
  CHECK(job.at("state") == "failed");
  CHECK(job.at("attempts") == 2);
  CHECK_THAT(std::string(job.at("error").as_string()),
             Catch::Contains("failed (FAILED): Flow run encountered an exception: ValueError('bad row')"));
  CHECK_THAT(r.err, Catch::Contains("ended in state Failed (FAILED): Flow run encountered an exception"));
  CHECK(p.fake.starts("etl/fails") == 2);
  auto runs = p.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("idempotency_key") != runs[1].at("idempotency_key"));
  p.expect_clean(r);
}

TEST_CASE("prefect: a crashed flow run is a failure, a cancelled one is cancelled", "[connectors][prefect]") {
  Prefect p;
  p.pipeline(connector_job("crash", "prefect.deployment_run",
                           "connection = \"pf\", deployment = \"etl/crashes\", poll_interval = \"50ms\"") +
             connector_job("cancel", "prefect.deployment_run",
                           "connection = \"pf\", deployment = \"etl/cancels\", poll_interval = \"50ms\""));
  auto r = p.run();
  CHECK(r.exit_code == 1);
  auto crash = p.job(r, "crash");
  CHECK(crash.at("state") == "failed");
  CHECK_THAT(std::string(crash.at("error").as_string()),
             Catch::Contains("failed (CRASHED): Flow run infrastructure exited with non-zero status code 1."));
  auto cancel = p.job(r, "cancel");
  CHECK(cancel.at("state") == "cancelled");
  CHECK_THAT(r.err, Catch::Contains("was cancelled (CANCELLED)"));
  p.expect_clean(r);
}

TEST_CASE("prefect: a timeout cancels the flow run through set_state CANCELLING", "[connectors][prefect]") {
  Prefect p;
  p.hang_target("etl/hangs");
  p.flow_job("etl/hangs", "", "timeout = \"1s\"\n");
  auto r = p.run();
  CHECK(r.exit_code == 1);
  auto job = p.job(r, "flow");
  CHECK(job.at("state") == "failed");
  CHECK_THAT(std::string(job.at("error").as_string()), Catch::Contains("timed out"));
  auto log = p.fake.log();
  CHECK(count_operation(log, "set_flow_run_state_flow_runs__id__set_state_post") == 1);
  auto runs = log.at("runs").as_array();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].at("cancel_requested") == true);
  CHECK(runs[0].at("state") == "CANCELLING");
  CHECK_THAT(r.err, Catch::Contains("is CANCELLING"));
  p.expect_clean(r);
}

TEST_CASE("prefect: wait = false succeeds right after the flow run is created", "[connectors][prefect]") {
  Prefect p;
  p.flow_job("etl/prod", "wait = false");
  auto r = p.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto out = p.job(r, "flow").at("outputs").as_object();
  CHECK(pf::is_uuid(out.at("run_id").as_string()));
  CHECK(out.contains("url"));
  auto log = p.fake.log();
  CHECK(count_operation(log, "create_flow_run_from_deployment_deployments__id__create_flow_run_post") == 1);
  CHECK(count_operation(log, "read_flow_run_flow_runs__id__get") == 0);
  p.expect_clean(r);
}

TEST_CASE("prefect: a wrong API key fails fatally without retries", "[connectors][prefect]") {
  Prefect p("api_key_secret = \"PF_WRONG\"\n");
  p.flow_job("etl/prod", "", "retries = 3\nretry_delay = \"10ms\"\n");
  auto r = p.run();
  CHECK(r.exit_code == 1);
  auto job = p.job(r, "flow");
  CHECK(job.at("attempts") == 1);
  CHECK_THAT(std::string(job.at("error").as_string()), Catch::Contains("authentication failed for connection pf"));
  CHECK(p.start_requests("etl/prod") == 0);
  CHECK(p.everything_written(r).find("S3cr3t") == std::string::npos);
  CHECK(p.fake.violations().empty());
}

TEST_CASE("prefect: an unknown deployment fails fatally and names it", "[connectors][prefect]") {
  Prefect p;
  p.flow_job("etl/nope", "", "retries = 3\nretry_delay = \"10ms\"\n");
  auto r = p.run();
  CHECK(r.exit_code == 1);
  auto job = p.job(r, "flow");
  CHECK(job.at("attempts") == 1);
  CHECK(job.at("error") == "deployment 'etl/nope' not found on connection 'pf'");
  p.expect_clean(r);
}

TEST_CASE("prefect: 429 with Retry-After, 503s and malformed JSON are survived", "[connectors][prefect]") {
  Prefect p;
  p.control(R"({"faults": [
      {"match": "POST /api/deployments/", "count": 1, "status": 429, "retry_after": "1"},
      {"match": "GET /api/flow_runs/", "count": 2, "status": 503},
      {"match": "GET /api/flow_runs/", "count": 1, "malformed": true}]})");
  p.flow_job("etl/prod");
  auto r = p.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(p.job(r, "flow").at("attempts") == 1);
  CHECK(p.fake.starts("etl/prod") == 1);
  CHECK(p.fake.log().at("faults_pending").as_array().empty());
  p.expect_clean(r);
}

TEST_CASE("prefect: a lost create answer is retried and returns the same flow run", "[connectors][prefect]") {
  Prefect p;
  p.control(R"({"faults": [{"match": "POST /api/deployments/", "count": 1, "drop": true, "after": true}]})");
  p.flow_job("etl/prod");
  auto r = p.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(p.fake.starts("etl/prod") == 1);
  CHECK(p.start_requests("etl/prod") == 2);
  CHECK_THAT(r.err, Catch::Contains("exists already"));
  p.expect_clean(r);
}

TEST_CASE("prefect crash: kill -9 while the flow run is deferred, then the rerun re-attaches",
          "[connectors][prefect]") {
  Prefect p;
  p.hang_target("etl/hangs");
  p.flow_job("etl/hangs");
  ::setenv("JOBHOST_SECRET_PF_KEY", "pnu_S3cr3t96", 1);
  {
    ChildProcess host(p.dir.str(), args_of_run(false), p.dir.str("out1.txt"), p.dir.str("err1.txt"));
    REQUIRE(p.wait_for([&] {
      auto shown = run_cli("show --pipeline p --date " + kConnectorDate + " --json --state state.db", p.dir);
      return shown.out.find("\"state\":\"deferred\"") != std::string::npos || host.poll();
    }));
    host.kill(SIGKILL);
    host.wait();
  }
  const std::string id(p.runs().at(0).at("id").as_string());
  p.finish_run(id, "COMPLETED");
  auto r = p.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto job = p.job(r, "flow");
  CHECK(job.at("state") == "success");
  CHECK(job.at("outputs").at("run_id") == json::value(id));
  CHECK(p.fake.starts("etl/hangs") == 1);
  CHECK(p.start_requests("etl/hangs") == 1);
  p.expect_clean(r);
}

TEST_CASE("prefect crash: kill -9 between the create and its answer, then the rerun gets the same run",
          "[connectors][prefect]") {
  // The flow run is created, then the answer is a 503 asking to come back in 60 s: the host is
  // killed while it waits, before it recorded anything about the run.
  Prefect p;
  p.control(R"({"faults": [{"match": "POST /api/deployments/", "count": 1, "status": 503,
                             "retry_after": "60", "after": true}]})");
  p.flow_job("etl/prod");
  ::setenv("JOBHOST_SECRET_PF_KEY", "pnu_S3cr3t96", 1);
  {
    ChildProcess host(p.dir.str(), args_of_run(false), p.dir.str("out1.txt"), p.dir.str("err1.txt"));
    REQUIRE(p.wait_for([&] { return p.fake.starts("etl/prod") == 1 || host.poll(); }));
    REQUIRE_FALSE(host.poll());
    host.kill(SIGKILL);
    host.wait();
  }
  auto r = p.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(p.job(r, "flow").at("state") == "success");
  CHECK(p.fake.starts("etl/prod") == 1);
  CHECK(p.start_requests("etl/prod") == 2);
  CHECK_THAT(r.err, Catch::Contains("exists already"));
  p.expect_clean(r);
}

TEST_CASE("prefect: jobhost connections test proves reachability and credentials", "[connectors][prefect]") {
  Prefect p;
  auto ok = p.cli("connections test pf");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out + ok.err, Catch::Contains("Prefect server at " + p.fake.url() +
                                              "/api, healthy, authenticated with an API key"));
  CHECK(p.fake.violations().empty());

  Prefect bad("api_key_secret = \"PF_WRONG\"\n");
  auto r = bad.cli("connections test pf");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("authentication failed for connection pf"));
  CHECK((r.out + r.err).find("S3cr3t") == std::string::npos);
  CHECK(bad.fake.violations().empty());
}
