#include "model.hpp"

#include <jobhost/sdk.hpp>

// Boost.JSON compiled into this plugin (header-only mode): the plugin needs no Boost library.
#include <boost/json/src.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jobhost::ml {
namespace json = boost::json;

namespace {
// JSON has no NaN: an undefined metric is written as null.
json::value number_or_null(double v) { return std::isfinite(v) ? json::value(v) : json::value(nullptr); }
}  // namespace

std::string model_to_json(const LinearModel& model, const TrainingRecord& record) {
  json::object o;
  o["kind"] = "linear_regression";
  json::array features;
  for (auto& f : model.features) features.emplace_back(f);
  o["features"] = std::move(features);
  o["target"] = model.target;
  o["intercept"] = model.intercept;
  json::object coefficients;
  for (size_t i = 0; i < model.features.size(); ++i) coefficients[model.features[i]] = model.coefficients[i];
  o["coefficients"] = std::move(coefficients);
  o["trained_at"] = record.trained_at;
  o["rows_train"] = record.rows_train;
  o["rows_test"] = record.rows_test;
  o["metrics"] = json::object{{"r2", number_or_null(record.test.r2)},
                              {"rmse", number_or_null(record.test.rmse)},
                              {"train_r2", number_or_null(record.train.r2)},
                              {"train_rmse", number_or_null(record.train.rmse)}};
  o["table"] = record.table;
  o["logical_date"] = record.logical_date;
  o["seed"] = record.seed;
  o["test_fraction"] = record.test_fraction;
  if (!record.where.empty()) o["where"] = record.where;
  return json::serialize(o) + "\n";
}

LinearModel load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FatalError("cannot read model file '" + path + "': " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  json::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) throw FatalError("model file '" + path + "' is not valid JSON: " + ec.message());
  auto fail = [&](const std::string& why) { return FatalError("model file '" + path + "': " + why); };
  const json::object* o = v.if_object();
  if (!o) throw fail("expected a JSON object");
  const json::value* kind = o->if_contains("kind");
  if (!kind || !kind->is_string()) throw fail("missing \"kind\"");
  if (kind->get_string() != "linear_regression")
    throw fail("unknown model kind '" + std::string(kind->get_string()) +
               "' (this version of ml.predict knows: linear_regression)");
  auto number = [&](const json::value* n, const std::string& what) {
    if (!n || !n->is_number()) throw fail(what + " must be a number");
    return n->to_number<double>();
  };
  LinearModel m;
  const json::value* features = o->if_contains("features");
  if (!features || !features->is_array() || features->get_array().empty())
    throw fail("\"features\" must be a non-empty array of column names");
  for (auto& f : features->get_array()) {
    if (!f.is_string()) throw fail("\"features\" must be a non-empty array of column names");
    m.features.emplace_back(f.get_string());
  }
  if (const json::value* t = o->if_contains("target"); t && t->is_string()) m.target = t->get_string();
  m.intercept = number(o->if_contains("intercept"), "\"intercept\"");
  const json::value* coefs = o->if_contains("coefficients");
  if (!coefs || !coefs->is_object()) throw fail("\"coefficients\" must be an object");
  for (auto& f : m.features)
    m.coefficients.push_back(number(coefs->get_object().if_contains(f), "coefficient of '" + f + "'"));
  return m;
}

}  // namespace jobhost::ml
