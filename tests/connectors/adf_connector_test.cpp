// adf.pipeline_run end to end: the real jobhost binary and the adf plugin against the fake
// Azure Data Factory (tests/connectors/fake_engines/adf.py: ARM 2018-06-01 and the Entra ID
// token endpoint), which checks every request against the vendored spec. Plus the run
// mapping as a unit (adf_runs.hpp).
#include <catch2/catch.hpp>

#include <csignal>

#include "adf_runs.hpp"
#include "connector_cli_support.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace adf = jobhost::connectors::adf;
using Phase = jobhost::connectors::RemoteStatus::Phase;

namespace {

const std::string kFactoryId =
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1";

// A factory connection "adf" on the fake (ARM and the authority on the same server); the
// client secret is a file in secrets_dir.
struct Adf : ConnectorCli {
  Adf() : ConnectorCli("adf", "adf") {
    std::filesystem::create_directories(dir.str("secrets"));
    write_file(dir.str("secrets/ADF_SECRET"), "adf-S3cr3t-95");
    write_file(dir.str("secrets/WRONG"), "wrong-S3cr3t-00");
    connection();
  }
  void connection(const std::string& secret = "ADF_SECRET") const {
    host_config("secrets_dir = \"secrets\"\n[connections.adf]\ntype = \"adf\"\nurl = \"" + fake.url() +
                "\"\nauthority_url = \"" + fake.url() +
                "\"\ntenant_id = \"tenant-1\"\nclient_id = \"adf-client\"\n"
                "client_secret_secret = \"" + secret + "\"\nsubscription_id = \"sub-1\"\n"
                "resource_group = \"rg-1\"\nfactory = \"df-1\"\ntimeout = \"5s\"\nretry_backoff = \"10ms\"\n");
  }
  // One job "j" running `pipeline`.
  void one_job(const std::string& pipeline, const std::string& config = "", const std::string& keys = "",
               const std::string& poll = "50ms") const {
    this->pipeline(connector_job("j", "adf.pipeline_run",
                                 "connection = \"adf\", pipeline = \"" + pipeline + "\", poll_interval = \"" +
                                     poll + "\"" + (config.empty() ? "" : ", " + config),
                                 keys));
  }
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
  std::vector<std::string> start(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args{"run", "p.toml", "--date", kConnectorDate, "--plugin-path", "plug",
                                  "--config", "jobhost.toml", "--state", "state.db"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

int64_t start_requests(const json::object& log, const std::string& target) {
  const auto* n = log.at("start_requests").as_object().if_contains(target);
  return n ? n->to_number<int64_t>() : 0;
}

}  // namespace

TEST_CASE("adf: a successful run publishes run_id, url and state after exactly one createRun",
          "[connectors][adf]") {
  Adf t;
  t.one_job("copy_sales", "parameters = { day = \"{{ run.logical_date }}\", rows = 3, tags = [\"a\", \"b\"] }");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = Adf::job(r, "j");
  CHECK(j.at("state") == "success");
  auto& out = j.at("outputs").as_object();
  auto run = t.only_run();
  CHECK(out.at("run_id") == run.at("id"));
  CHECK(out.at("url") == json::value("https://adf.azure.com/en/monitoring/pipelineruns/" +
                                     std::string(run.at("id").as_string()) +
                                     "?factory=%2Fsubscriptions%2Fsub-1%2FresourceGroups%2Frg-1%2Fproviders%2F"
                                     "Microsoft.DataFactory%2Ffactories%2Fdf-1"));
  CHECK(out.at("state") == "Succeeded");
  CHECK(out.at("status") == "Succeeded");
  CHECK(run.at("parameters") == json::parse(R"({"day": "2026-11-28", "rows": "3", "tags": "[\"a\", \"b\"]"})"));
  auto log = t.fake.log();
  CHECK(t.fake.starts("copy_sales") == 1);
  // Without an idempotency parameter the ordinary start does not look for earlier runs.
  CHECK(count_operation(log, "PipelineRuns_QueryByFactory") == 0);
  for (const auto& req : log.at("requests").as_array())
    if (req.at("path").as_string().starts_with("/subscriptions/"))
      CHECK(req.at("query").as_string().find("api-version=2018-06-01") != json::string::npos);
  t.check_clean(r);
}

TEST_CASE("adf: the idempotency parameter carries the attempt's key", "[connectors][adf]") {
  Adf t;
  t.one_job("copy_sales", "idempotency_parameter = \"run_key\", parameters = { day = \"x\" }");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto run = t.only_run();
  CHECK(run.at("parameters").at("run_key") == Adf::job(r, "j").at("idempotency_key"));
  CHECK(run.at("parameters").at("day") == "x");
  CHECK(count_operation(t.fake.log(), "PipelineRuns_QueryByFactory") == 1);
  CHECK(t.fake.starts("copy_sales") == 1);
  t.check_clean(r);
}

TEST_CASE("adf: a failed run is retried with a new run and logs the failed activity", "[connectors][adf]") {
  Adf t;
  t.one_job("fails", "", "retries = 1\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Adf::job(r, "j");
  CHECK(j.at("state") == "failed");
  CHECK(j.at("attempts") == 2);
  CHECK_THAT(std::string(j.at("error").as_string()),
             Catch::Contains("Operation on target CopyBlob failed: Copy activity failed: blob not found"));
  CHECK_THAT(r.err, Catch::Contains("activity CopyBlob (Copy): Copy activity failed: blob not found (code 2200)"));
  CHECK(t.fake.starts("fails") == 2);
  t.check_clean(r);
}

TEST_CASE("adf: a run cancelled remotely ends the job cancelled", "[connectors][adf]") {
  Adf t;
  t.one_job("cancels", "", "retries = 2\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  auto j = Adf::job(r, "j");
  CHECK(j.at("state") == "cancelled");
  CHECK(j.at("attempts") == 1);
  CHECK(t.fake.starts("cancels") == 1);
  t.check_clean(r);
}

TEST_CASE("adf: a jobhost-side timeout cancels the pipeline run recursively", "[connectors][adf]") {
  Adf t;
  t.control(R"({"targets": {"forever": {"outcome": "hang"}}})");
  // Polls further apart than the timeout: it expires while the attempt waits deferred.
  t.one_job("forever", "", "timeout = \"1s\"\n", "3s");
  auto r = t.run();
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto j = Adf::job(r, "j");
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("timed out"));
  CHECK(t.only_run().at("cancel_requested") == true);
  auto log = t.fake.log();
  CHECK(count_operation(log, "PipelineRuns_Cancel") == 1);
  for (const auto& req : log.at("requests").as_array())
    if (req.at("operation") == "PipelineRuns_Cancel")
      CHECK(req.at("query").as_string().find("isRecursive=true") != json::string::npos);
  t.check_clean(r);
}

TEST_CASE("adf: wait = false succeeds once the run is created", "[connectors][adf]") {
  Adf t;
  t.control(R"({"targets": {"forever": {"outcome": "hang"}}})");
  t.one_job("forever", "wait = false");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = Adf::job(r, "j");
  auto run = t.only_run();
  CHECK(j.at("outputs").at("run_id") == run.at("id"));
  CHECK(j.at("outputs").at("url").as_string().starts_with("https://adf.azure.com/"));
  CHECK(run.at("reads") == 0);
  CHECK(t.fake.starts("forever") == 1);
  t.check_clean(r);
}

TEST_CASE("adf: a wrong client secret fails at once with authentication failed", "[connectors][adf]") {
  Adf t;
  t.connection("WRONG");
  t.one_job("copy_sales", "", "retries = 3\nretry_delay = \"10ms\"\n");
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto j = Adf::job(r, "j");
  CHECK(j.at("attempts") == 1);
  CHECK_THAT(std::string(j.at("error").as_string()), Catch::Contains("authentication failed for connection adf"));
  CHECK(t.fake.starts("copy_sales") == 0);
  t.check_clean(r);
}

TEST_CASE("adf: an unknown pipeline or factory fails at once naming it", "[connectors][adf]") {
  Adf t;
  t.pipeline(connector_job("nope", "adf.pipeline_run", "connection = \"adf\", pipeline = \"nope\", poll_interval = \"50ms\"",
                           "retries = 2\nretry_delay = \"10ms\"\n") +
             connector_job("other", "adf.pipeline_run",
                           "connection = \"adf\", pipeline = \"copy_sales\", factory = \"df-x\", poll_interval = \"50ms\"",
                           "retries = 2\nretry_delay = \"10ms\"\n"));
  auto r = t.run();
  CHECK(r.exit_code == 1);
  auto nope = Adf::job(r, "nope");
  CHECK(nope.at("attempts") == 1);
  CHECK(nope.at("error") == "pipeline 'nope' not found in factory 'df-1' on connection 'adf'");
  auto other = Adf::job(r, "other");
  CHECK(other.at("attempts") == 1);
  CHECK(other.at("error") == "factory 'df-x' not found in resource group 'rg-1' on connection 'adf'");
  t.check_clean(r);
}

TEST_CASE("adf: 429, 503, an expired token, malformed JSON and a lost createRun reply are survived",
          "[connectors][adf]") {
  Adf t;
  t.control(R"({"faults": [
    {"match": "POST /subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1/pipelines/copy_sales/createRun",
     "status": 503, "after": true},
    {"match": "GET /subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1/pipelineruns/",
     "status": 429, "retry_after": "1"},
    {"match": "GET /subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1/pipelineruns/",
     "count": 2, "status": 503},
    {"match": "GET /subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1/pipelineruns/",
     "status": 401},
    {"match": "GET /subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1/pipelineruns/",
     "malformed": true}]})");
  t.one_job("copy_sales", "parameters = { day = \"{{ run.logical_date }}\", n = 2 }");
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto log = t.fake.log();
  // createRun went out once; its reply was lost, and the next poll found the run it made.
  CHECK(start_requests(log, "copy_sales") == 1);
  CHECK(t.fake.starts("copy_sales") == 1);
  CHECK(count_operation(log, "PipelineRuns_QueryByFactory") == 1);
  CHECK_THAT(r.err, Catch::Contains("started earlier by this attempt"));
  CHECK(log.at("token_requests") == 2);  // the first token, then one after the 401
  CHECK(log.at("faults_pending").as_array().empty());
  CHECK(Adf::job(r, "j").at("outputs").at("run_id") == t.only_run().at("id"));
  t.check_clean(r);
}

TEST_CASE("adf: kill -9 after createRun but before its run is recorded, then the rerun adopts the run",
          "[connectors][adf][crash]") {
  Adf t;
  // createRun makes the run, but its reply is lost: the attempt stays deferred with its
  // pending handle until the next poll, 2 s later.
  t.control(R"({"faults": [{"match": "POST /subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1/pipelines/copy_sales/createRun",
                             "status": 503, "after": true}]})");
  t.one_job("copy_sales", "idempotency_parameter = \"run_key\"", "", "2s");
  {
    ChildProcess host(t.dir.str(), t.start(), t.dir.str("out1.txt"), t.dir.str("err1.txt"));
    REQUIRE(ConnectorCli::wait_for([&] {
      if (t.fake.starts("copy_sales") != 1) return false;
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
  CHECK_THAT(r.err, Catch::Contains("started earlier by this attempt"));
  CHECK(t.fake.starts("copy_sales") == 1);
  CHECK(start_requests(t.fake.log(), "copy_sales") == 1);
  auto j = Adf::job(r, "j");
  CHECK(j.at("attempts") == 1);
  CHECK(j.at("outputs").at("run_id") == t.only_run().at("id"));
  CHECK(t.only_run().at("parameters").at("run_key") == j.at("idempotency_key"));
  t.check_clean(r);
}

TEST_CASE("adf: kill -9 while the run is followed, then the rerun re-attaches without a second start",
          "[connectors][adf][crash]") {
  Adf t;
  t.control(R"({"targets": {"slow": {"outcome": "success", "duration_ms": 3000}}})");
  t.one_job("slow");
  {
    ChildProcess host(t.dir.str(), t.start(), t.dir.str("out1.txt"), t.dir.str("err1.txt"));
    // Once the store holds the created run's handle (no longer the pending one).
    REQUIRE(ConnectorCli::wait_for([&] {
      auto shown = Adf::doc(run_cli("show --pipeline p --date " + kConnectorDate + " --json --state state.db", t.dir));
      const auto* jobs = shown.if_contains("jobs");
      const auto* j = jobs ? jobs->as_object().if_contains("j") : nullptr;
      const auto* handle = j ? j->as_object().if_contains("handle") : nullptr;
      return handle && handle->is_string() && handle->get_string().find("\"run_id\"") != json::string::npos;
    }));
    host.kill(SIGKILL);
    host.wait();
  }
  auto r = t.run();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(t.fake.starts("slow") == 1);
  CHECK(start_requests(t.fake.log(), "slow") == 1);
  t.check_clean(r);
}

TEST_CASE("adf: connections test reads the factory", "[connectors][adf]") {
  Adf t;
  auto ok = t.cli("connections test adf");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out + ok.err, Catch::Contains("Data Factory df-1 (eastus) in rg-1, authenticated as client adf-client"));
  t.connection("WRONG");
  auto bad = t.cli("connections test adf");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.out + bad.err, Catch::Contains("authentication failed for connection adf"));
  CHECK((ok.out + ok.err + bad.out + bad.err).find("S3cr3t") == std::string::npos);
  CHECK(t.fake.violations().empty());
}

// ---- the run mapping, without a server ----

TEST_CASE("adf runs: status words map onto phases", "[connectors][adf][unit]") {
  auto map = [](const std::string& run) { return adf::map_pipeline_run(json::parse(run).as_object()); };
  for (const char* running : {"Queued", "InProgress", "Canceling"})
    CHECK(map(std::string(R"({"status": ")") + running + R"("})").phase == Phase::kRunning);
  auto ok = map(R"({"status": "Succeeded", "durationInMs": 28105, "message": ""})");
  CHECK(ok.phase == Phase::kSucceeded);
  CHECK(ok.state == "Succeeded");
  CHECK(ok.outputs.at("status") == "Succeeded");
  CHECK(ok.outputs.at("duration_ms") == "28105");
  auto failed = map(R"({"status": "Failed", "message": "Operation on target X failed", "durationInMs": null})");
  CHECK(failed.phase == Phase::kFailed);
  CHECK(failed.message == "Operation on target X failed");
  CHECK(failed.outputs.count("duration_ms") == 0);
  CHECK(map(R"({"status": "Cancelled", "message": "by user"})").phase == Phase::kCancelled);
}

TEST_CASE("adf runs: failed activity lines", "[connectors][adf][unit]") {
  auto lines = adf::failed_activity_lines(json::parse(R"({"value": [
    {"activityName": "Ok", "activityType": "Copy", "status": "Succeeded", "error": {"message": ""}},
    {"activityName": "CopyBlob", "activityType": "Copy", "status": "Failed",
     "error": {"errorCode": "2200", "message": "blob not found"}},
    {"activityName": "Web", "activityType": "WebActivity", "status": "Failed", "error": {}}]})")
                                              .as_object());
  CHECK(lines == std::vector<std::string>{"activity CopyBlob (Copy): blob not found (code 2200)",
                                          "activity Web (WebActivity): failed (no error message)"});
}

TEST_CASE("adf runs: RFC 3339 times", "[connectors][adf][unit]") {
  using namespace std::chrono;
  const auto t = sys_days(year(2018) / 6 / 16) + hours(0) + minutes(37) + seconds(44) + milliseconds(625);
  CHECK(adf::rfc3339(t) == "2018-06-16T00:37:44.625Z");
  CHECK(adf::parse_rfc3339("2018-06-16T00:37:44.6257014Z") == t + microseconds(701));
  CHECK(adf::parse_rfc3339("2018-06-16T02:37:44.625+02:00") == t);
  CHECK(adf::parse_rfc3339(adf::rfc3339(t)) == t);
  CHECK_FALSE(adf::parse_rfc3339("2018-06-16"));
  CHECK_FALSE(adf::parse_rfc3339("2018-13-16T00:00:00Z"));
  CHECK_FALSE(adf::parse_rfc3339("2018-06-16T00:00:00"));
}

TEST_CASE("adf runs: a pending start recognises its run", "[connectors][adf][unit]") {
  auto run = json::parse(R"({"runId": "r1", "pipelineName": "Copy_Sales", "runStart": "2026-11-28T10:00:00.5Z",
    "parameters": {"day": "2026-11-28", "n": "2", "tags": "[\"a\",\"b\"]", "k": "jh-1"}})")
                 .as_object();
  adf::RunMatch exact;
  exact.pipeline = "copy_sales";
  exact.key_parameter = "k";
  exact.key = "jh-1";
  CHECK(adf::matches(run, exact));
  exact.key = "jh-2";
  CHECK_FALSE(adf::matches(run, exact));

  adf::RunMatch same;
  same.pipeline = "copy_sales";
  same.parameters = json::parse(R"({"day": "2026-11-28", "n": 2, "tags": ["a", "b"]})").as_object();
  same.since = *adf::parse_rfc3339("2026-11-28T10:00:00Z");
  CHECK(adf::matches(run, same));
  same.since = *adf::parse_rfc3339("2026-11-28T10:00:01Z");  // started before the attempt
  CHECK_FALSE(adf::matches(run, same));
  same.since = {};
  same.parameters["n"] = 3;
  CHECK_FALSE(adf::matches(run, same));
  same.parameters["n"] = 2;
  same.pipeline = "other";
  CHECK_FALSE(adf::matches(run, same));
}

TEST_CASE("adf runs: monitor links", "[connectors][adf][unit]") {
  CHECK(adf::monitor_url("https://adf.azure.com", kFactoryId, "2f7f-1") ==
        "https://adf.azure.com/en/monitoring/pipelineruns/2f7f-1?factory=%2Fsubscriptions%2Fsub-1%2F"
        "resourceGroups%2Frg-1%2Fproviders%2FMicrosoft.DataFactory%2Ffactories%2Fdf-1");
}
