// The demo pipeline's data jobs on the real sample data, with the job configs taken from
// config/pipelines/medallion.toml itself (loaded and template-expanded by the host's config
// code), so the shipped pipeline file is what is tested.
#include <catch2/catch.hpp>

#include "config/pipeline_loader.hpp"
#include "config/templates.hpp"
#include "support.hpp"
#include "warehouse.hpp"

using jobhost::test::query;
using jobhost::test::scalar;
using jobhost::test::TempDir;
using Rows = std::vector<std::vector<std::string>>;

namespace {

struct Demo {
  TempDir dir;
  jobhost::PipelineSpec spec = jobhost::load_pipeline_file(JOBHOST_SOURCE_DIR "/config/pipelines/medallion.toml");
  std::string db = dir.str("warehouse.db");

  jobhost::AttemptResult run(const std::string& job_name) {
    const jobhost::JobSpec* job = spec.find(job_name);
    if (!job) throw std::runtime_error("no job " + job_name + " in medallion.toml");
    jobhost::TemplateVars vars;
    vars.values = {{"params.warehouse", db},
                   {"params.data_dir", JOBHOST_SOURCE_DIR "/data/sample"},
                   {"params.model_path", dir.str("model.json")},
                   {"run.logical_date", "2024-01-01"},
                   {"run.id", "demo-run"},
                   {"job.name", job_name}};
    toml::table config = jobhost::expand_table(job->config, vars);
    auto* ref = jobhost::test::built_plugins().find(job->uses);
    if (!ref) throw std::runtime_error("job type not built: " + job->uses);
    jobhost::AttemptInput in;
    in.run_id = "demo-run";
    in.pipeline = spec.name;
    in.job_name = job_name;
    in.logical_date = "2024-01-01";
    in.config = &config;
    return jobhost::run_attempt(*ref, in);
  }
};

}  // namespace

TEST_CASE("medallion: seattle weather bronze -> silver -> validate -> gold gives 48 months", "[medallion]") {
  Demo demo;
  for (int rerun = 0; rerun < 2; ++rerun) {  // a rerun for the same date gives the same warehouse
    auto r = demo.run("bronze_weather");
    REQUIRE(r.error == "");
    CHECK(r.metrics.at("rows_loaded") == 1461);
    CHECK(r.metrics.at("rows_rejected") == 0);
    REQUIRE(demo.run("silver_weather").error == "");
    CHECK(scalar(demo.db, "SELECT count(*) FROM silver_weather") == "1461");
    r = demo.run("validate_silver_weather");
    REQUIRE(r.error == "");
    CHECK(r.metrics.at("checks_failed") == 0);
    r = demo.run("gold_weather_monthly");
    REQUIRE(r.error == "");
    CHECK(r.metrics.at("rows") == 48);
  }
  CHECK(query(demo.db, "SELECT name, type FROM pragma_table_info('gold_weather_monthly')") ==
        Rows{{"month", "TEXT"},
             {"days", "INTEGER"},
             {"avg_temp_max", "REAL"},
             {"avg_temp_min", "REAL"},
             {"total_precipitation", "REAL"},
             {"rainy_days", "INTEGER"}});
  CHECK(query(demo.db, "SELECT min(month), max(month), sum(days) FROM gold_weather_monthly") ==
        Rows{{"2012-01", "2015-12", "1461"}});
  CHECK(scalar(demo.db, "SELECT days FROM gold_weather_monthly WHERE month = '2012-02'") == "29");
  CHECK(scalar(demo.db, "SELECT count(*) FROM gold_weather_monthly WHERE rainy_days > days OR rainy_days < 0") == "0");
  CHECK(scalar(demo.db, "SELECT min(date) || ' ' || max(date) FROM silver_weather") == "2012-01-01 2015-12-31");
}

TEST_CASE("medallion: stocks bronze -> silver -> gold_stocks_yearly", "[medallion]") {
  Demo demo;
  auto r = demo.run("bronze_stocks");
  REQUIRE(r.error == "");
  CHECK(r.metrics.at("rows_loaded") == 560);
  REQUIRE(demo.run("silver_stocks").error == "");
  REQUIRE(demo.run("gold_stocks_yearly").error == "");
  CHECK(query(demo.db, "SELECT name, type FROM pragma_table_info('gold_stocks_yearly')") ==
        Rows{{"symbol", "TEXT"}, {"year", "INTEGER"}, {"first_price", "REAL"}, {"last_price", "REAL"},
             {"return_pct", "REAL"}});
  // Four symbols for 2000-2010, GOOG from 2004.
  CHECK(query(demo.db, "SELECT symbol, count(*), min(year) FROM gold_stocks_yearly GROUP BY symbol ORDER BY symbol") ==
        Rows{{"AAPL", "11", "2000"}, {"AMZN", "11", "2000"}, {"GOOG", "7", "2004"}, {"IBM", "11", "2000"},
             {"MSFT", "11", "2000"}});
  CHECK(query(demo.db, "SELECT first_price, last_price FROM gold_stocks_yearly WHERE symbol = 'MSFT' AND year = 2000") ==
        Rows{{"39.81", "17.65"}});
}
