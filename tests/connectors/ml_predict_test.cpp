#include <catch2/catch.hpp>

#include <fstream>

#include "sqlite_fixture.hpp"
#include "support.hpp"

using namespace jobhost;
using jobhost::test::run_job;
using jobhost::test::sql_exec;
using jobhost::test::sql_value;
using jobhost::test::TempDir;

namespace {

struct Fixture {
  TempDir dir;
  std::string db = dir.str("w.db");
  std::string model = dir.str("model.json");
  Fixture() {
    sql_exec(db,
             "CREATE TABLE days(day TEXT, station TEXT, a REAL, b REAL);"
             "INSERT INTO days VALUES ('2026-01-01','S1',1,2),('2026-01-02','S1',2,1),"
             "('2026-01-03','S2',0.5,NULL),('2026-01-04','S2',10,4);");
    std::ofstream(model) << R"({"kind":"linear_regression","features":["a","b"],"target":"y",)"
                            R"("intercept":3,"coefficients":{"a":2,"b":-1}})";
  }
  std::string config(const std::string& extra = "") const {
    return "database = '" + db + "'\ntable = 'days'\nmodel_path = '" + model +
           "'\ntarget_table = 'predictions'\nid_columns = ['day', 'station']\n" + extra;
  }
};

}  // namespace

TEST_CASE("ml.predict: scores every row, carrying id columns", "[ml]") {
  Fixture f;
  auto r = run_job("ml.predict", f.config());
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.metrics.at("rows_scored") == 3);
  CHECK(r.metrics.at("rows_unscored") == 1);
  CHECK(r.outputs.at("target_table") == "predictions");
  CHECK(sql_value(f.db, "SELECT count(*) FROM predictions") == "4");
  CHECK(std::stod(sql_value(f.db, "SELECT prediction FROM predictions WHERE day = '2026-01-01'")) == Approx(3.0));
  CHECK(std::stod(sql_value(f.db, "SELECT prediction FROM predictions WHERE day = '2026-01-04'")) == Approx(19.0));
  CHECK(sql_value(f.db, "SELECT station FROM predictions WHERE day = '2026-01-04'") == "S2");
  CHECK(sql_value(f.db, "SELECT prediction FROM predictions WHERE day = '2026-01-03'") == "NULL");
  // The declared types of id columns carry over.
  CHECK(sql_value(f.db, "SELECT type FROM pragma_table_info('predictions') WHERE name = 'day'") == "TEXT");

  // A rerun replaces the table (idempotent), a custom column name and a filter apply.
  r = run_job("ml.predict", f.config("prediction_column = 'yhat'\nwhere = \"station = 'S1'\""));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(sql_value(f.db, "SELECT count(*) FROM predictions") == "2");
  CHECK(sql_value(f.db, "SELECT count(*) FROM pragma_table_info('predictions') WHERE name = 'yhat'") == "1");
  CHECK(sql_value(f.db, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%staging%'") == "0");
}

TEST_CASE("ml.predict: a model whose features are not in the table is refused", "[ml]") {
  Fixture f;
  std::ofstream(f.model) << R"({"kind":"linear_regression","features":["a","wind","gust"],"intercept":1,)"
                            R"("coefficients":{"a":1,"wind":1,"gust":1}})";
  auto r = run_job("ml.predict", f.config());
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("does not fit") && Catch::Contains("'wind', 'gust'"));
  CHECK(sql_value(f.db, "SELECT count(*) FROM sqlite_master WHERE name = 'predictions'") == "0");
}

TEST_CASE("ml.predict: bad models and config are fatal with a clear message", "[ml]") {
  Fixture f;
  auto expect_fatal = [&](const std::string& cfg, const std::string& needle) {
    auto r = run_job("ml.predict", cfg);
    CHECK(r.status == JH_STATUS_FATAL);
    CHECK_THAT(r.error, Catch::Contains(needle));
  };
  expect_fatal(f.config("prediction_column = 'day'"), "also listed in 'id_columns'");
  expect_fatal("database = '" + f.db + "'\ntable = 'days'\nmodel_path = '" + f.model + "'\ntarget_table = 'days'",
               "'target_table' must differ");
  expect_fatal("database = '" + f.db + "'\ntable = 'days'\nmodel_path = '" + f.model + "'",
               "missing required key 'target_table'");
  expect_fatal("database = '" + f.db + "'\ntable = 'days'\nmodel_path = '" + f.model +
                   "'\ntarget_table = 'p'\nid_columns = ['nope']",
               "'id_columns': table 'days' has no column 'nope'");
  std::ofstream(f.model) << R"({"kind":"random_forest","features":["a"]})";
  expect_fatal(f.config(), "unknown model kind 'random_forest'");
  std::ofstream(f.model) << "not json";
  expect_fatal(f.config(), "is not valid JSON");
  std::filesystem::remove(f.model);
  expect_fatal(f.config(), "cannot read model file");
}

TEST_CASE("ml.predict: a failure leaves the previous predictions table untouched", "[ml]") {
  Fixture f;
  REQUIRE(run_job("ml.predict", f.config()).status == JH_STATUS_OK);
  sql_exec(f.db, "INSERT INTO days VALUES ('2026-01-05','S3','lots',1);");
  auto r = run_job("ml.predict", f.config());
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("column 'a' holds a non-numeric value 'lots'"));
  CHECK(sql_value(f.db, "SELECT count(*) FROM predictions") == "4");
  CHECK(sql_value(f.db, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%staging%'") == "0");
}
