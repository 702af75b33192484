// ml.predict: scores every row of a table with a model file and replaces the predictions
// table in one transaction (readers see the old table or the complete new one).
#include "dataset.hpp"
#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/identifiers.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobhost_common/materialize.hpp"
#include "jobhost_common/sqlite.hpp"
#include "jobs.hpp"
#include "model.hpp"

namespace jobhost::ml {
namespace {

using sql::quote_ident;
using sql::same_identifier;

std::string declared_type(const std::vector<sql::ColumnInfo>& columns, const std::string& name) {
  for (auto& c : columns)
    if (same_identifier(c.name, name)) return c.declared_type;
  return {};
}

Status run_predict(Context& ctx) {
  common::reject_unknown_keys(ctx, "", {"database", "table", "model_path", "target_table", "id_columns",
                                        "prediction_column", "where"});
  const auto database = ctx.require<std::string>("database");
  const auto table = ctx.require<std::string>("table");
  const auto model_path = ctx.require<std::string>("model_path");
  const auto target_table = ctx.require<std::string>("target_table");
  const auto id_columns = ctx.strings("id_columns");
  const auto prediction_column = ctx.get_or("prediction_column", "prediction");
  const auto where = ctx.get_or("where", "");
  if (same_identifier(target_table, table))
    throw FatalError("config: 'target_table' must differ from 'table' ('" + table + "' would be replaced)");
  if (prediction_column.empty()) throw FatalError("config: 'prediction_column' must not be empty");
  for (auto& id : id_columns)
    if (same_identifier(id, prediction_column))
      throw FatalError("config: 'prediction_column' '" + prediction_column + "' is also listed in 'id_columns'");

  LinearModel model = load_model(model_path);
  // The source table must already be there: never create a warehouse file to score nothing.
  sql::Database db(database, sql::Database::OpenMode::kExisting);
  auto columns = db.require_table(table);
  require_columns(columns, model.features, table, "model '" + model_path + "' does not fit");
  require_columns(columns, id_columns, table, "config: 'id_columns'");

  const std::string staging = common::staging_name(target_table);
  std::string create = "CREATE TABLE " + quote_ident(staging) + " (";
  std::string select = "SELECT ";
  for (auto& id : id_columns) {
    create += quote_ident(id) + " " + declared_type(columns, id) + ", ";
    select += quote_ident(id) + ", ";
  }
  create += quote_ident(prediction_column) + " REAL)";
  for (size_t i = 0; i < model.features.size(); ++i) select += (i ? ", " : "") + quote_ident(model.features[i]);
  select += " FROM " + quote_ident(table);
  if (!where.empty()) select += " WHERE " + where;
  std::string insert = "INSERT INTO " + quote_ident(staging) + " VALUES (";
  for (size_t i = 0; i <= id_columns.size(); ++i) insert += (i ? ", ?" : "?");
  insert += ")";

  sql::Transaction tx(db);
  db.exec("DROP TABLE IF EXISTS " + quote_ident(staging), "dropping a leftover staging table");
  db.exec(create, "creating the staging table for '" + target_table + "'");
  int64_t scored = 0, unscored = 0;
  {
    auto rows = db.prepare(select, "reading rows to score from '" + table + "'");
    auto out = db.prepare(insert, "writing predictions");
    const int n_ids = static_cast<int>(id_columns.size());
    const int n_features = static_cast<int>(model.features.size());
    std::vector<double> x(model.features.size());
    while (rows.step()) {
      if ((scored + unscored) % 10000 == 0 && ctx.cancelled()) return Status::cancelled();
      for (int i = 0; i < n_ids; ++i) sqlite3_bind_value(out.raw(), i + 1, sqlite3_column_value(rows.raw(), i));
      bool complete = true;
      for (int f = 0; f < n_features && complete; ++f) {
        if (rows.is_null(n_ids + f))
          complete = false;
        else
          x[f] = numeric_value(rows, n_ids + f, model.features[f]);
      }
      // A row with a NULL feature keeps its ids and gets a NULL prediction.
      if (complete) {
        out.bind_double(n_ids + 1, model.predict(x.data()));
        ++scored;
      } else {
        out.bind_null(n_ids + 1);
        ++unscored;
      }
      out.run();
      out.reset();
    }
  }
  common::swap_in(db, staging, target_table);
  tx.commit();

  ctx.metric("rows_scored", static_cast<double>(scored));
  ctx.metric("rows_unscored", static_cast<double>(unscored));
  ctx.set_output("target_table", target_table);
  ctx.set_output("rows_scored", std::to_string(scored));
  ctx.log_info("scored " + std::to_string(scored) + " rows of '" + table + "' into '" + target_table + "'" +
               (unscored ? " (" + std::to_string(unscored) + " with a NULL feature got a NULL prediction)" : ""));
  return Status::ok();
}

}  // namespace

Status predict(Context& ctx) { return common::run_named(ctx, run_predict); }

}  // namespace jobhost::ml
