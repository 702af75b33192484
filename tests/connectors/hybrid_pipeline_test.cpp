// config/pipelines/hybrid.toml end to end: local ingestion, then a Databricks job, an ADF
// pipeline, an Airflow DAG and a Prefect deployment (the four fake engines), then local gold.
// Also: the example host config (config/hybrid.jobhost.toml) validates with it as shipped.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli_support.hpp"
#include "fake_engine_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;

TEST_CASE("hybrid example: the shipped pipeline and host config validate") {
  TempDir dir;
  const std::string src = JOBHOST_SOURCE_DIR;
  auto r = run_cli("validate " + src + "/config/pipelines/hybrid.toml --config " + src +
                       "/config/hybrid.jobhost.toml",
                   dir);
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("hybrid example: runs against the four engines with one start each and no secret anywhere") {
  TempDir dir;
  FakeEngine dbx("databricks", dir), adf("adf", dir), airflow("airflow", dir), prefect("prefect", dir);
  write_file(dir.str("jobhost.toml"),
             "[connections.dbx]\ntype = \"databricks\"\nurl = \"" + dbx.url() +
                 "\"\ntoken_secret = \"DBX\"\nretry_backoff = \"10ms\"\n"
                 "[connections.adf]\ntype = \"adf\"\nurl = \"" + adf.url() + "\"\nauthority_url = \"" +
                 adf.url() + "\"\ntenant_id = \"tenant-1\"\nclient_id = \"adf-client\"\n"
                 "client_secret_secret = \"ADF\"\nsubscription_id = \"sub-1\"\nresource_group = \"rg-1\"\n"
                 "factory = \"df-1\"\nretry_backoff = \"10ms\"\n"
                 "[connections.airflow]\ntype = \"airflow\"\nurl = \"" + airflow.url() +
                 "\"\nusername = \"svc_jobhost\"\npassword_secret = \"AF\"\nretry_backoff = \"10ms\"\n"
                 "[connections.prefect]\ntype = \"prefect\"\nurl = \"" + prefect.url() +
                 "/api\"\napi_key_secret = \"PF\"\nretry_backoff = \"10ms\"\n");
  const std::string src = JOBHOST_SOURCE_DIR;
  const std::string secrets =
      "env JOBHOST_SECRET_DBX=dapi-S3cr3t-93 JOBHOST_SECRET_ADF=adf-S3cr3t-95 "
      "JOBHOST_SECRET_AF=af-pass-S3cr3t-91 JOBHOST_SECRET_PF=pnu_S3cr3t96";
  auto r = run_cli("run " + src + "/config/pipelines/hybrid.toml --date 2026-11-28 --json --config jobhost.toml"
                   " --state state.db --param warehouse=w.db --param data_dir=" + src +
                   "/data/sample --param poll_interval=50ms",
                   dir, secrets);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = json::parse(r.out).as_object();
  CHECK(doc.at("status") == "success");
  auto& jobs = doc.at("jobs").as_object();
  CHECK(jobs.at("silver_lakehouse").at("outputs").at("state") == "SUCCESS");
  CHECK_FALSE(jobs.at("reports").at("outputs").at("run_id").as_string().empty());
  // A downstream job got the runs' pages through {{ jobs.X.outputs.url }}.
  CHECK(r.err.find("lakehouse " + dbx.url()) != std::string::npos);
  CHECK(r.err.find("| reports " + airflow.url() + "/dags/etl_daily") != std::string::npos);
  CHECK(r.err.find("| copy https://adf.azure.com/") != std::string::npos);
  CHECK(dbx.starts("101") == 1);
  CHECK(adf.starts("copy_sales") == 1);
  CHECK(airflow.starts("etl_daily") == 1);
  CHECK(prefect.starts("etl/prod") == 1);
  for (auto* fake : {&dbx, &adf, &airflow, &prefect}) CHECK(fake->violations().empty());

  // Upstream outputs reached the remote runs: the ADF run got the Databricks run id.
  auto adf_runs = adf.log().at("runs").as_array();
  REQUIRE(adf_runs.size() == 1);
  CHECK(adf_runs[0].at("parameters").at("source_run") ==
        jobs.at("silver_lakehouse").at("outputs").at("run_id"));

  auto show = run_cli("show --pipeline hybrid --date 2026-11-28 --json --state state.db", dir);
  std::string bytes;
  for (const char* file : {"state.db", "state.db-wal"}) {
    std::ifstream store(dir.str(file), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(store), std::istreambuf_iterator<char>());
  }
  for (const std::string& text : {r.out, r.err, show.out, show.err, bytes})
    CHECK(text.find("S3cr3t") == std::string::npos);
}
