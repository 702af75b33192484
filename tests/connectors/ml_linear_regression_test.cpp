#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "sqlite_fixture.hpp"
#include "support.hpp"

using namespace jobhost;
using jobhost::test::run_job;
using jobhost::test::sql_exec;
using jobhost::test::TempDir;

namespace {

// 50 rows of y = 3 + 2a - b (+ a deterministic wobble when noisy), a and b not collinear.
std::string make_training_db(const TempDir& dir, bool noisy) {
  auto db = dir.str("w.db");
  std::string sql = "CREATE TABLE samples(id INTEGER PRIMARY KEY, a REAL, b REAL, y REAL, label TEXT);";
  for (int i = 0; i < 50; ++i) {
    double a = i * 0.5, b = (i * i) % 7 + i * 0.1;
    double y = 3 + 2 * a - b + (noisy ? ((i * 37) % 11 - 5) * 0.1 : 0.0);
    sql += "INSERT INTO samples(a, b, y, label) VALUES (" + std::to_string(a) + "," + std::to_string(b) + "," +
           std::to_string(y) + ",'r" + std::to_string(i) + "');";
  }
  sql_exec(db, sql);
  return db;
}

std::string config(const std::string& db, const std::string& model, const std::string& extra = "") {
  return "database = '" + db + "'\ntable = 'samples'\nfeatures = ['a', 'b']\ntarget = 'y'\nmodel_path = '" +
         model + "'\n" + extra;
}

boost::json::object read_model(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str()).as_object();
}

double num(const boost::json::value& v) { return v.to_number<double>(); }

}  // namespace

TEST_CASE("ml.linear_regression: recovers known coefficients and writes the model", "[ml]") {
  TempDir dir;
  auto db = make_training_db(dir, false);
  auto model_path = dir.str("models/y.json");
  auto r = run_job("ml.linear_regression", config(db, model_path));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.metrics.at("r2") == Approx(1.0).margin(1e-9));
  CHECK(r.metrics.at("rmse") == Approx(0.0).margin(1e-6));
  CHECK(r.metrics.at("rows_train") == 40);
  CHECK(r.metrics.at("rows_test") == 10);
  CHECK(r.outputs.at("model_path") == model_path);

  auto m = read_model(model_path);
  CHECK(m.at("kind").as_string() == "linear_regression");
  CHECK(m.at("target").as_string() == "y");
  CHECK(m.at("features").as_array().size() == 2);
  CHECK(num(m.at("intercept")) == Approx(3.0).margin(1e-6));
  CHECK(num(m.at("coefficients").at("a")) == Approx(2.0).margin(1e-6));
  CHECK(num(m.at("coefficients").at("b")) == Approx(-1.0).margin(1e-6));
  CHECK(num(m.at("rows_train")) == 40);
  CHECK(num(m.at("rows_test")) == 10);
  CHECK(num(m.at("metrics").at("r2")) == Approx(1.0).margin(1e-9));
  CHECK(m.at("table").as_string() == "samples");
  CHECK(m.at("logical_date").as_string() == "2026-11-28");
  CHECK(m.at("trained_at").as_string().size() == 20);
  // Written by rename: no temporary file left beside it.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path / "models"), {}) == 1);
}

TEST_CASE("ml.linear_regression: the same seed gives the same model, another seed another split", "[ml]") {
  TempDir dir;
  auto db = make_training_db(dir, true);
  REQUIRE(run_job("ml.linear_regression", config(db, dir.str("m1.json"), "seed = 7")).status == JH_STATUS_OK);
  REQUIRE(run_job("ml.linear_regression", config(db, dir.str("m2.json"), "seed = 7")).status == JH_STATUS_OK);
  REQUIRE(run_job("ml.linear_regression", config(db, dir.str("m3.json"), "seed = 8")).status == JH_STATUS_OK);
  auto m1 = read_model(dir.str("m1.json")), m2 = read_model(dir.str("m2.json")), m3 = read_model(dir.str("m3.json"));
  CHECK(boost::json::serialize(m1.at("coefficients")) == boost::json::serialize(m2.at("coefficients")));
  CHECK(boost::json::serialize(m1.at("intercept")) == boost::json::serialize(m2.at("intercept")));
  CHECK(boost::json::serialize(m1.at("metrics")) == boost::json::serialize(m2.at("metrics")));
  CHECK(boost::json::serialize(m1.at("coefficients")) != boost::json::serialize(m3.at("coefficients")));
  // Noise keeps the fit close to, but not exactly, the generating coefficients.
  CHECK(num(m1.at("coefficients").at("a")) == Approx(2.0).margin(0.1));
  CHECK(num(m1.at("metrics").at("r2")) < 1.0);
}

TEST_CASE("ml.linear_regression: rows with NULLs are skipped and counted, where filters", "[ml]") {
  TempDir dir;
  auto db = make_training_db(dir, false);
  sql_exec(db, "INSERT INTO samples(a, b, y) VALUES (NULL, 1, 1), (1, NULL, 1), (1, 1, NULL);");
  auto r = run_job("ml.linear_regression", config(db, dir.str("m.json")));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.metrics.at("rows_skipped_null") == 3);
  CHECK(r.metrics.at("rows_train") + r.metrics.at("rows_test") == 50);

  r = run_job("ml.linear_regression", config(db, dir.str("m.json"), "where = 'id <= 20'"));
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.metrics.at("rows_train") + r.metrics.at("rows_test") == 20);
}

TEST_CASE("ml.linear_regression: config and data mistakes are fatal and name the cause", "[ml]") {
  TempDir dir;
  auto db = make_training_db(dir, false);
  auto model = dir.str("m.json");
  auto expect_fatal = [&](const std::string& cfg, const std::string& needle) {
    auto r = run_job("ml.linear_regression", cfg);
    CHECK(r.status == JH_STATUS_FATAL);
    CHECK_THAT(r.error, Catch::Contains(needle));
  };
  expect_fatal("database = '" + db + "'\ntable = 'samples'\nfeatures = ['a']\nmodel_path = 'x.json'",
               "missing required key 'target'");
  expect_fatal("database = '" + db + "'\ntable = 'samples'\ntarget = 'y'\nmodel_path = 'x.json'", "'features'");
  expect_fatal(config(dir.str("absent.db"), model), "cannot open database");
  expect_fatal("database = '" + db + "'\ntable = 'nope'\nfeatures = ['a']\ntarget = 'y'\nmodel_path = 'm.json'",
               "table 'nope' not found");
  expect_fatal("database = '" + db + "'\ntable = 'samples'\nfeatures = ['a', 'zz']\ntarget = 'y'\nmodel_path = 'm.json'",
               "has no column 'zz'");
  expect_fatal(config(db, model, "test_fraction = 1.5"), "'test_fraction'");
  expect_fatal(config(db, model, "where = 'id <= 3'"), "at least 4 are needed");
  expect_fatal(config(db, model, "where = 'nonsense ((('"), "reading training rows");
  sql_exec(db, "UPDATE samples SET b = 2 * a;");
  expect_fatal(config(db, model), "singular design");
  sql_exec(db, "UPDATE samples SET b = 'high' WHERE id = 5;");
  expect_fatal(config(db, model), "non-numeric value 'high'");
  CHECK_FALSE(std::filesystem::exists(model));
}
