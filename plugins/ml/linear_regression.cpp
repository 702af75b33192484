// ml.linear_regression: ordinary least squares with an intercept on columns of a SQLite
// table, a reproducible train/test split, and a JSON model file written atomically.
#include <Eigen/Dense>

#include <chrono>
#include <cmath>
#include <ctime>

#include "dataset.hpp"
#include "jobhost_common/atomic_file.hpp"
#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobhost_common/sqlite.hpp"
#include "jobs.hpp"
#include "model.hpp"

namespace jobhost::ml {
namespace {

Fit evaluate(const LinearModel& m, const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
  Eigen::VectorXd coef = Eigen::Map<const Eigen::VectorXd>(m.coefficients.data(),
                                                           static_cast<Eigen::Index>(m.coefficients.size()));
  Eigen::VectorXd residual = y - ((x * coef).array() + m.intercept).matrix();
  double ss_res = residual.squaredNorm();
  double ss_tot = (y.array() - y.mean()).matrix().squaredNorm();
  Fit fit;
  fit.rmse = std::sqrt(ss_res / static_cast<double>(y.size()));
  fit.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : std::nan("");
  return fit;
}

std::string utc_now_iso() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Eigen::MatrixXd take_rows(const Eigen::MatrixXd& m, const std::vector<size_t>& idx, size_t from, size_t to) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(to - from), m.cols());
  for (size_t i = from; i < to; ++i) out.row(static_cast<Eigen::Index>(i - from)) = m.row(static_cast<Eigen::Index>(idx[i]));
  return out;
}

Status run_linear_regression(Context& ctx) {
  common::reject_unknown_keys(ctx, "", {"database", "table", "features", "target", "model_path", "test_fraction",
                                        "seed", "where"});
  const auto database = ctx.require<std::string>("database");
  const auto table = ctx.require<std::string>("table");
  const auto features = ctx.strings("features");
  const auto target = ctx.require<std::string>("target");
  const auto model_path = ctx.require<std::string>("model_path");
  const double test_fraction = ctx.get_or<double>("test_fraction", 0.2);
  const auto seed = ctx.get_or<int64_t>("seed", 42);
  const auto where = ctx.get_or("where", "");
  if (features.empty()) throw FatalError("config: missing required key 'features' (a non-empty array of column names)");
  if (!(test_fraction > 0 && test_fraction < 1))
    throw FatalError("config: 'test_fraction' must be between 0 and 1 (exclusive), got " + std::to_string(test_fraction));
  for (auto& f : features)
    if (f == target) throw FatalError("config: 'features' must not contain the target column '" + target + "'");

  // Training only reads: a missing warehouse is a mistake in the config, not a file to create.
  sql::Database db(database, sql::Database::OpenMode::kReadOnly);
  std::vector<std::string> used = features;
  used.push_back(target);
  require_columns(db.require_table(table), used, table);
  TrainingData data = load_training_data(db, table, features, target, where);

  const size_t n = static_cast<size_t>(data.target.size());
  const size_t p = features.size();
  if (n < p + 2)
    throw FatalError("table '" + table + "' has " + std::to_string(n) + " usable rows (" +
                     std::to_string(data.skipped_null) + " skipped for NULLs); at least " +
                     std::to_string(p + 2) + " are needed for " + std::to_string(p) + " feature(s)");
  size_t n_test = static_cast<size_t>(std::floor(static_cast<double>(n) * test_fraction + 0.5));
  n_test = std::clamp<size_t>(n_test, 1, n - 1);
  const size_t n_train = n - n_test;
  if (n_train < p + 1)
    throw FatalError("the training split has " + std::to_string(n_train) + " rows, fewer than features + 1 (" +
                     std::to_string(p + 1) + "); lower test_fraction or add rows");

  // The first n_test shuffled rows are the test split, the rest train.
  auto order = shuffled_indices(n, static_cast<uint64_t>(seed));
  Eigen::MatrixXd x_test = take_rows(data.features, order, 0, n_test);
  Eigen::MatrixXd x_train = take_rows(data.features, order, n_test, n);
  Eigen::VectorXd y_test(static_cast<Eigen::Index>(n_test)), y_train(static_cast<Eigen::Index>(n_train));
  for (size_t i = 0; i < n; ++i)
    (i < n_test ? y_test(static_cast<Eigen::Index>(i)) : y_train(static_cast<Eigen::Index>(i - n_test))) =
        data.target(static_cast<Eigen::Index>(order[i]));

  // Design matrix [1 | X]; column-pivoting QR detects rank deficiency instead of producing
  // huge coefficients the way a normal-equation inverse would.
  Eigen::MatrixXd design(static_cast<Eigen::Index>(n_train), static_cast<Eigen::Index>(p + 1));
  design.col(0).setOnes();
  design.rightCols(static_cast<Eigen::Index>(p)) = x_train;
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
  if (qr.rank() < static_cast<Eigen::Index>(p + 1))
    throw FatalError("singular design: the features (with the intercept) are collinear or constant on the "
                     "training rows (rank " + std::to_string(qr.rank()) + " of " + std::to_string(p + 1) + ")");
  Eigen::VectorXd beta = qr.solve(y_train);

  LinearModel model;
  model.features = features;
  model.target = target;
  model.intercept = beta(0);
  for (size_t i = 0; i < p; ++i) model.coefficients.push_back(beta(static_cast<Eigen::Index>(i + 1)));

  TrainingRecord record;
  record.trained_at = utc_now_iso();
  record.rows_train = static_cast<int64_t>(n_train);
  record.rows_test = static_cast<int64_t>(n_test);
  record.test = evaluate(model, x_test, y_test);
  record.train = evaluate(model, x_train, y_train);
  record.table = table;
  record.logical_date = std::string(ctx.logical_date());
  record.where = where;
  record.seed = static_cast<uint64_t>(seed);
  record.test_fraction = test_fraction;
  common::write_file_atomically(model_path, model_to_json(model, record));

  if (std::isnan(record.test.r2))
    ctx.log_warn("r2 is undefined: the target is constant on the test split");
  else
    ctx.metric("r2", record.test.r2);
  ctx.metric("rmse", record.test.rmse);
  if (!std::isnan(record.train.r2)) ctx.metric("train_r2", record.train.r2);
  ctx.metric("train_rmse", record.train.rmse);
  ctx.metric("rows_train", static_cast<double>(n_train));
  ctx.metric("rows_test", static_cast<double>(n_test));
  ctx.metric("rows_skipped_null", static_cast<double>(data.skipped_null));
  ctx.set_output("model_path", model_path);
  ctx.log_info("trained " + target + " ~ " + std::to_string(p) + " feature(s) on " + std::to_string(n_train) +
               " rows (" + std::to_string(n_test) + " test, " + std::to_string(data.skipped_null) +
               " skipped for NULLs); test r2=" + std::to_string(record.test.r2) +
               " rmse=" + std::to_string(record.test.rmse) + "; model written to " + model_path);
  return Status::ok();
}

}  // namespace

Status linear_regression(Context& ctx) { return common::run_named(ctx, run_linear_regression); }

}  // namespace jobhost::ml
