// Issue #11's crash and fault cases across the four connectors, through the real jobhost
// binary against the fake engines: kill -9 of the host while an Airflow, a Databricks, an ADF
// and a Prefect run are all deferred; an engine server that vanishes mid-poll and comes back
// on the same port with its state; bursts of 500 longer than max_retries and answers slower
// than the connection's timeout, on the start and on a status read; an OAuth token expiring
// while a run is deferred. Every case ends with one remote start per target, zero spec
// violations and no secret in anything the host wrote.
//
// Remote runs that must outlive a step of a test are held ("hang" targets) and released
// through the fakes' control API ({"runs": {ID: {"outcome": "success", "polls": 0}}}): the
// next status read ends them, whatever the timing of the host.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <sys/stat.h>

#include <csignal>
#include <map>
#include <memory>
#include <sstream>

#include "connector_cli_support.hpp"
#include "reliability/child_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

const std::string kFactory =
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/factories/df-1";

// What the tests need to know about one engine: its job, its remote target, the request
// prefixes (fault `match`) of its start and of its status read, and how the host's messages
// name these two calls.
struct EngineInfo {
  std::string uses, target, job_config, start, status, start_call, status_call;
};

const std::map<std::string, EngineInfo>& engines() {
  static const std::map<std::string, EngineInfo> info{
      {"airflow",
       {"airflow.dag_run", "held", "dag_id = \"held\"", "POST /api/v1/dags/held/dagRuns",
        "GET /api/v1/dags/held/dagRuns/", "Airflow API: trigger DAG 'held'",
        "Airflow API: read DAG run '"}},
      {"databricks",
       {"databricks.run_job", "301", "job_id = 301", "POST /api/2.1/jobs/run-now",
        "GET /api/2.1/jobs/runs/get", "Databricks API: start Databricks job 301",
        "Databricks API: read Databricks run "}},
      {"adf",
       {"adf.pipeline_run", "held", "pipeline = \"held\"",
        "POST " + kFactory + "/pipelines/held/createRun", "GET " + kFactory + "/pipelineruns/",
        "ADF API: start ADF pipeline 'held'", "ADF API: read ADF run "}},
      {"prefect",
       {"prefect.deployment_run", "etl/held", "deployment = \"etl/held\"", "POST /api/deployments/",
        "GET /api/flow_runs/", "Prefect API: create a flow run of deployment 'etl/held'",
        "Prefect API: read flow run "}},
  };
  return info;
}

// The [connections.NAME] table of `engine` (named after it). `oauth`: Databricks with an
// OAuth M2M client instead of a PAT. `common`: keys every connection gets.
std::string connection(const std::string& engine, const std::string& url, bool oauth,
                       const std::string& common) {
  std::string t = "[connections." + engine + "]\ntype = \"" + engine + "\"\n";
  if (engine == "airflow")
    t += "url = \"" + url + "\"\nusername = \"svc_jobhost\"\npassword_secret = \"AF_PASS\"\n";
  if (engine == "databricks")
    t += "url = \"" + url + "\"\n" +
         (oauth ? "client_id = \"dbx-client\"\nclient_secret_secret = \"DBX_CLIENT_SECRET\"\n"
                : "token_secret = \"DBX_TOKEN\"\n");
  if (engine == "adf")
    t += "url = \"" + url + "\"\nauthority_url = \"" + url +
         "\"\ntenant_id = \"tenant-1\"\nclient_id = \"adf-client\"\n"
         "client_secret_secret = \"ADF_SECRET\"\nsubscription_id = \"sub-1\"\n"
         "resource_group = \"rg-1\"\nfactory = \"df-1\"\n";
  if (engine == "prefect") t += "url = \"" + url + "/api\"\napi_key_secret = \"PF_KEY\"\n";
  return t + common;
}

// A private folder with the connector plugins, fakes, the secrets (files in secrets_dir, so
// the host started without a shell sees them), a host config and a pipeline "p".
class Rig {
 public:
  Rig() {
    std::filesystem::create_directories(dir.str("plug"));
    ::chmod(dir.str("plug").c_str(), 0755);  // the loader refuses group/other-writable folders
    std::filesystem::create_directories(dir.str("secrets"));
    for (const auto& [name, value] : std::map<std::string, std::string>{
             {"AF_PASS", "af-pass-S3cr3t-91"}, {"DBX_TOKEN", "dapi-S3cr3t-93"},
             {"DBX_CLIENT_SECRET", "dbx-S3cr3t-94"}, {"ADF_SECRET", "adf-S3cr3t-95"},
             {"PF_KEY", "pnu_S3cr3t96"}})
      write_file(dir.str("secrets/" + name), value);
  }

  // Starts `engine`'s fake (extra flags: `--state-file` so that it can come back) and
  // installs its plugin.
  FakeEngine& add(const std::string& engine, std::vector<std::string> flags = {}) {
    fakes_[engine] = std::make_unique<FakeEngine>(engine, dir, std::move(flags));
    const std::string so = "plug/" + engine + ".so";
    std::filesystem::copy_file(JOBHOST_TEST_PLUGIN_DIR "/" + engine + ".so", dir.str(so));
    ::chmod(dir.str(so).c_str(), 0755);
    return *fakes_[engine];
  }
  FakeEngine& fake(const std::string& engine) const { return *fakes_.at(engine); }

  // The host config (one connection per fake, `common` keys in each) and the pipeline (one
  // job per fake, named after the engine).
  void configure(const std::string& common, bool oauth = false) const {
    std::string config = "secrets_dir = \"secrets\"\n";
    std::string jobs = "[pipeline]\nname = \"p\"\nmax_parallel = 4\n";
    for (const auto& [engine, fake] : fakes_) {
      const EngineInfo& e = engines().at(engine);
      config += connection(engine, fake->url(), oauth, common);
      jobs += connector_job(engine, e.uses, "connection = \"" + engine + "\", " + e.job_config +
                                                ", poll_interval = \"50ms\"");
    }
    write_file(dir.str("jobhost.toml"), config);
    write_file(dir.str("p.toml"), jobs);
  }

  // The remote target of `engine` stays running until release().
  void hold(const std::string& engine) const {
    fake(engine).control(json::object{
        {"targets",
         json::object{{engines().at(engine).target, json::object{{"outcome", "hang"}}}}}});
  }
  // Its run ends successfully at the next status read.
  void release(const std::string& engine) const {
    fake(engine).control(json::object{
        {"runs",
         json::object{{run_id(engine), json::object{{"outcome", "success"}, {"polls", 0}}}}}});
  }

  // The one remote run of `engine`'s target, as the fake's log shows it (empty when none).
  json::object run(const std::string& engine) const {
    const auto log = fake(engine).log();  // kept: the loop walks into it
    for (const auto& r : log.at("runs").as_array())
      if (r.at("target") == json::value(engines().at(engine).target)) return r.as_object();
    return {};
  }
  // The fake's id of that run (the key for the "runs" control).
  std::string run_id(const std::string& engine) const {
    auto r = run(engine);
    return r.empty() ? "" : std::string(r.at("id").as_string());
  }
  // The id the host knows the run by (its run_id output): Airflow's dag_run_id.
  std::string remote_id(const std::string& engine) const {
    auto r = run(engine);
    if (r.empty()) return "";
    return std::string(r.at(engine == "airflow" ? "dag_run_id" : "id").as_string());
  }
  // Status reads of that run served so far.
  int64_t reads(const std::string& engine) const {
    auto r = run(engine);
    return r.empty() ? 0 : r.at("reads").to_number<int64_t>();
  }
  int64_t start_requests(const std::string& engine) const {
    auto log = fake(engine).log();
    const auto* n = log.at("start_requests").as_object().if_contains(engines().at(engine).target);
    return n ? n->to_number<int64_t>() : 0;
  }

  // `jobhost run` of the pipeline as a child process (to be killed, or waited for).
  std::unique_ptr<ChildProcess> start_host(const std::string& tag) const {
    const std::vector<std::string> args{"run", "p.toml", "--date", kConnectorDate, "--json",
                                        "--plugin-path", "plug", "--config", "jobhost.toml",
                                        "--state", "state.db"};
    return std::make_unique<ChildProcess>(dir.str(), args, dir.str("out" + tag + ".txt"),
                                          dir.str("err" + tag + ".txt"));
  }
  CliResult run_pipeline() const {
    return run_cli("run p.toml --date " + kConnectorDate +
                       " --json --plugin-path plug --config jobhost.toml --state state.db",
                   dir);
  }
  // What a child host wrote, as a CliResult (exit code from its wait status).
  CliResult result_of(ChildProcess& host, const std::string& tag) const {
    const int status = host.wait();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
            read_file(dir.str("out" + tag + ".txt")), read_file(dir.str("err" + tag + ".txt"))};
  }

  // `jobhost show --json` of the run ({} while there is none).
  json::object show() const {
    return ConnectorCli::doc(show_cli());
  }
  CliResult show_cli() const {
    return run_cli("show --pipeline p --date " + kConnectorDate + " --json --state state.db", dir);
  }
  static json::object job_of(const json::object& doc, const std::string& name) {
    const auto* jobs = doc.if_contains("jobs");
    const auto* j = jobs && jobs->is_object() ? jobs->get_object().if_contains(name) : nullptr;
    return j && j->is_object() ? j->get_object() : json::object{};
  }
  static std::string handle_of(const json::object& doc, const std::string& name) {
    auto j = job_of(doc, name);
    const auto* h = j.if_contains("handle");
    return h && h->is_string() ? std::string(h->get_string()) : "";
  }

  // Everything the host wrote: `texts`, `show --json`, and the run store's bytes.
  std::string everything_written(const std::vector<std::string>& texts) const {
    std::string all;
    for (const auto& t : texts) all += t;
    all += show_cli().out;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path))
      if (entry.path().filename().string().starts_with("state.db")) all += read_file(entry.path());
    return all;
  }
  // One start of each fake's target, no spec violation, no secret written.
  void expect_clean(const std::vector<std::string>& texts) const {
    for (const auto& [engine, fake] : fakes_) {
      INFO(engine);
      CHECK(fake->starts(engines().at(engine).target) == 1);
      const auto violations = fake->violations();
      INFO(json::serialize(violations));
      CHECK(violations.empty());
    }
    CHECK(everything_written(texts).find("S3cr3t") == std::string::npos);
  }

  TempDir dir;

 private:
  std::map<std::string, std::unique_ptr<FakeEngine>> fakes_;
};

// Polls until `done` holds, or the host ended, or 60 s passed; true when `done` held.
template <class Pred>
bool wait_while_running(ChildProcess& host, Pred done) {
  bool ok = false;
  ConnectorCli::wait_for([&] { return (ok = done()) || host.poll().has_value(); });
  return ok;
}

// The job of `engine` waits deferred on its started run, which the host has read at least
// once (the store holds the handle with the run's id).
bool deferred_and_polled(const Rig& rig, const std::string& engine, const json::object& shown) {
  const auto job = Rig::job_of(shown, engine);
  const auto* state = job.if_contains("state");
  if (!state || *state != "deferred" || rig.reads(engine) < 1) return false;
  return Rig::handle_of(shown, engine).find(rig.remote_id(engine)) != std::string::npos;
}

// Waits until the host polls `engine`'s run and waits deferred on it.
bool polled(const Rig& rig, const std::string& engine, ChildProcess& host) {
  return wait_while_running(host, [&] {
    return rig.reads(engine) >= 1 && deferred_and_polled(rig, engine, rig.show());
  });
}

// Whether one line of `text` holds both `a` and, after it, `b`.
bool line_with(const std::string& text, const std::string& a, const std::string& b) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (auto at = line.find(a); at != std::string::npos && line.find(b, at) != std::string::npos)
      return true;
  return false;
}

// Connection keys: quick retries, and the request timeout.
std::string common_keys(const std::string& timeout = "5s") {
  return "timeout = \"" + timeout +
         "\"\nretry_backoff = \"10ms\"\nretry_backoff_max = \"100ms\"\n";
}

}  // namespace

// ---- 1. kill -9 while the four remote runs are deferred ----------------------------------

TEST_CASE("connectors_crash: kill -9 while four remote runs are deferred, then the rerun re-attaches to each",
          "[connectors][crash]") {
  Rig rig;
  for (const auto& [engine, info] : engines()) {
    rig.add(engine);
    rig.hold(engine);
  }
  rig.configure(common_keys());
  CliResult first;
  {
    auto host = rig.start_host("1");
    const bool all = wait_while_running(*host, [&] {
      for (const auto& [engine, info] : engines())
        if (rig.reads(engine) < 1) return false;  // cheap checks first
      const auto shown = rig.show();
      for (const auto& [engine, info] : engines())
        if (!deferred_and_polled(rig, engine, shown)) return false;
      return true;
    });
    INFO(read_file(rig.dir.str("err1.txt")));
    REQUIRE(all);
    host->kill(SIGKILL);
    first = rig.result_of(*host, "1");
  }
  // The store still says so: four attempts deferred, their handles kept.
  const auto shown = rig.show();
  for (const auto& [engine, info] : engines()) {
    INFO(engine);
    CHECK(Rig::job_of(shown, engine).at("state") == "deferred");
    CHECK(rig.fake(engine).starts(info.target) == 1);
    rig.release(engine);
  }

  auto r = rig.run_pipeline();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = ConnectorCli::doc(r);
  CHECK(doc.at("status") == "success");
  for (const auto& [engine, info] : engines()) {
    INFO(engine);
    auto job = ConnectorCli::job(r, engine);
    CHECK(job.at("state") == "success");
    CHECK(job.at("attempts") == 1);
    CHECK(job.at("outputs").at("run_id") == json::value(rig.remote_id(engine)));
    CHECK(rig.start_requests(engine) == 1);  // not even a deduplicated second request
    CHECK_THAT(r.err, Catch::Contains(" " + engine + "] attempt 1 re-attached"));
  }
  rig.expect_clean({first.out, first.err, r.out, r.err});
}

// ---- 2. the engine server disappears mid-poll and comes back ------------------------------

namespace {

// `engine`'s run is being polled; its server is killed, the host's status reads fail (the
// stored handle counts the failures), the server comes back on the same port with its state
// file, and the job ends with the run it started.
void server_vanishes_mid_poll(const std::string& engine) {
  Rig rig;
  FakeEngine& fake = rig.add(engine, {"--state-file", rig.dir.str("fake-state.json")});
  rig.hold(engine);
  rig.configure(common_keys());
  auto host = rig.start_host("");
  REQUIRE(polled(rig, engine, *host));
  const int port = fake.port();
  fake.kill();
  // The host keeps polling the vanished server: its failed reads are recorded in the handle.
  REQUIRE(wait_while_running(*host, [&] {
    return Rig::handle_of(rig.show(), engine).find("\"_errors\"") != std::string::npos;
  }));
  fake.restart();
  REQUIRE(fake.port() == port);
  rig.release(engine);
  auto r = rig.result_of(*host, "");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto job = ConnectorCli::job(r, engine);
  CHECK(job.at("state") == "success");
  CHECK(job.at("attempts") == 1);
  CHECK(job.at("outputs").at("run_id") == json::value(rig.remote_id(engine)));
  CHECK_THAT(r.err, Catch::Contains(": cannot read its status (1 of 10 failures in a row)"));
  CHECK(rig.start_requests(engine) == 1);
  rig.expect_clean({r.out, r.err});
}

}  // namespace

TEST_CASE("connectors_crash: a Databricks workspace that vanishes mid-poll and comes back",
          "[connectors][crash]") {
  server_vanishes_mid_poll("databricks");
}

TEST_CASE("connectors_crash: a Prefect server that vanishes mid-poll and comes back",
          "[connectors][crash]") {
  server_vanishes_mid_poll("prefect");
}

TEST_CASE("connectors_crash: an Airflow webserver that vanishes mid-poll and comes back",
          "[connectors][crash]") {
  server_vanishes_mid_poll("airflow");
}

TEST_CASE("connectors_crash: an ADF endpoint that vanishes mid-poll and comes back",
          "[connectors][crash]") {
  server_vanishes_mid_poll("adf");
}

// ---- 3. bursts of 500 and answers slower than the timeout ---------------------------------

namespace {

// With 3 tries per request (max_retries = 2) and a 500 ms request timeout: the start meets a
// 500, then an answer 1.2 s late (the fake serves it after the client gave up), then gets
// through; the status reads meet four 500s in a row (longer than a request's tries: that
// poll fails and the next one comes later), then an answer 1.2 s late.
void bursts_and_slow_answers(const std::string& engine) {
  Rig rig;
  FakeEngine& fake = rig.add(engine);
  const EngineInfo& e = engines().at(engine);
  rig.configure(common_keys("500ms") + "max_retries = 2\n");
  // The late start request is carried out by the fake after the client gave up. The other
  // engines deduplicate it; ADF cannot, so the connector keeps looking for the run of an
  // unanswered createRun (twice the request timeout and 2 s) before it sends another.
  json::object slow_start{{"match", e.start}, {"delay_ms", 1200}};
  fake.control(json::object{
      {"targets", json::object{{e.target, json::object{{"outcome", "success"}}}}},
      {"faults", json::array{json::object{{"match", e.start}, {"status", 500}}, slow_start,
                             json::object{{"match", e.status}, {"count", 4}, {"status", 500}},
                             json::object{{"match", e.status}, {"delay_ms", 1200}}}}});
  auto r = rig.run_pipeline();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto job = ConnectorCli::job(r, engine);
  CHECK(job.at("state") == "success");
  CHECK(job.at("attempts") == 1);  // neither burst failed the attempt
  CHECK(job.at("outputs").at("run_id") == json::value(rig.remote_id(engine)));
  CHECK(fake.log().at("faults_pending").as_array().empty());
  // Each fault was met where it was meant to be.
  CHECK(line_with(r.err, e.start_call + ": HTTP 500", "injected fault"));
  CHECK(line_with(r.err, e.start_call + ": no complete response from ", " within 500 ms"));
  CHECK(line_with(r.err, e.status_call, ": no complete response from "));
  // The burst on the status read outlasted a request's tries: it cost one poll, which was
  // asked again later.
  CHECK(line_with(r.err, "cannot read its status (", e.status_call));
  CHECK(line_with(r.err, e.status_call, "HTTP 500 after 3 tries"));
  if (engine != "adf") {
    // The late start request is carried out by the fake after the host moved on: it must
    // find the run the retry made, not make a second one.
    REQUIRE(ConnectorCli::wait_for([&] { return rig.start_requests(engine) == 2; }));
  } else {
    // The injected 500 never reached the engine; the late createRun made the run, and the
    // connector adopted it instead of sending a third request.
    CHECK(rig.start_requests(engine) == 1);
    CHECK(count_operation(fake.log(), "PipelineRuns_QueryByFactory") >= 2);  // looked each time first
    CHECK(line_with(r.err, "found ADF run", "started earlier by this attempt"));
  }
  rig.expect_clean({r.out, r.err});
}

}  // namespace

TEST_CASE("connectors_crash: Airflow survives 500 bursts and answers slower than the timeout",
          "[connectors][faults]") {
  bursts_and_slow_answers("airflow");
}

TEST_CASE("connectors_crash: Databricks survives 500 bursts and answers slower than the timeout",
          "[connectors][faults]") {
  bursts_and_slow_answers("databricks");
}

TEST_CASE("connectors_crash: ADF survives 500 bursts and answers slower than the timeout",
          "[connectors][faults]") {
  bursts_and_slow_answers("adf");
}

TEST_CASE("connectors_crash: Prefect survives 500 bursts and answers slower than the timeout",
          "[connectors][faults]") {
  bursts_and_slow_answers("prefect");
}

// ---- 4. an OAuth token expires while the run is deferred ----------------------------------
// (Airflow v2's /auth/token: airflow_connector_test.cpp, "an expired token is replaced".)

namespace {

void token_expires_while_deferred(const std::string& engine) {
  Rig rig;
  FakeEngine& fake = rig.add(engine);
  rig.hold(engine);
  rig.configure(common_keys(), /*oauth=*/true);
  auto host = rig.start_host("");
  REQUIRE(polled(rig, engine, *host));
  REQUIRE(fake.log().at("token_requests") == 1);
  fake.control(std::string(R"({"expire_tokens": true})"));
  // The next poll is answered 401, fetches a new token once, and reads the run with it.
  REQUIRE(wait_while_running(*host, [&] { return fake.log().at("token_requests") == 2; }));
  const int64_t reads = rig.reads(engine);
  REQUIRE(wait_while_running(*host, [&] { return rig.reads(engine) > reads; }));
  rig.release(engine);
  auto r = rig.result_of(*host, "");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto job = ConnectorCli::job(r, engine);
  CHECK(job.at("state") == "success");
  CHECK(job.at("attempts") == 1);
  auto log = fake.log();
  CHECK(log.at("token_requests") == 2);
  int unauthorized = 0;
  for (const auto& req : log.at("requests").as_array()) {
    unauthorized += req.at("status") == 401;
    if (req.at("path").as_string().starts_with(engine == "adf" ? "/subscriptions/" : "/api/"))
      CHECK(req.at("auth") == "Bearer");
  }
  CHECK(unauthorized == 1);
  rig.expect_clean({r.out, r.err});
}

}  // namespace

TEST_CASE("connectors_crash: a Databricks OAuth token that expires while the run is deferred is refreshed once",
          "[connectors][faults]") {
  token_expires_while_deferred("databricks");
}

TEST_CASE("connectors_crash: an ADF token that expires while the run is deferred is refreshed once",
          "[connectors][faults]") {
  token_expires_while_deferred("adf");
}
