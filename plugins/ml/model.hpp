// The model file shared by ml.linear_regression (writer) and ml.predict (reader).
//
// {"kind":"linear_regression","features":[...],"target":"...","intercept":..,
//  "coefficients":{name:value},"trained_at":"...","rows_train":..,"rows_test":..,
//  "metrics":{"r2":..,"rmse":..,"train_r2":..,"train_rmse":..},"table":"...",
//  "logical_date":"...","seed":..,"test_fraction":..,"where":"..."}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jobhost::ml {

struct LinearModel {
  std::vector<std::string> features;
  std::string target;
  double intercept = 0;
  std::vector<double> coefficients;  // one per feature, same order

  double predict(const double* x) const {
    double y = intercept;
    for (size_t i = 0; i < coefficients.size(); ++i) y += coefficients[i] * x[i];
    return y;
  }
};

struct Fit {
  double r2 = 0, rmse = 0;  // r2 is NaN when the target is constant on that split
};

struct TrainingRecord {
  std::string trained_at;  // ISO-8601 UTC
  int64_t rows_train = 0, rows_test = 0;
  Fit test, train;
  std::string table, logical_date, where;
  uint64_t seed = 0;
  double test_fraction = 0;
};

std::string model_to_json(const LinearModel& model, const TrainingRecord& record);

// FatalError naming the file: unreadable, not JSON, an unknown "kind", or missing fields.
LinearModel load_model(const std::string& path);

}  // namespace jobhost::ml
