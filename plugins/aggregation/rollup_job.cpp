// aggregation.rollup: builds SELECT <group_by>, <measures> FROM source [WHERE ...] GROUP BY
// <group_by> from config and materialises it into `target` atomically (common::materialize).
#include <string>
#include <vector>

#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/identifiers.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobhost_common/materialize.hpp"
#include "jobhost_common/sqlite.hpp"
#include "jobs.hpp"

namespace jobhost::aggregation {
namespace {

using sql::quote_ident;

struct Dimension {
  std::string name;
  std::string expr;  // SQL; a quoted column when the config gave a bare name
};

// group_by entries: "column" or { name = "month", expr = "substr(date, 1, 7)" }.
std::vector<Dimension> read_group_by(const Context& ctx) {
  std::vector<Dimension> out;
  if (ctx.type_of("group_by") != JH_TYPE_ARRAY)
    throw FatalError("config: 'group_by' must be an array of column names or { name, expr } tables");
  for (uint64_t i = 0; i < ctx.size_of("group_by"); ++i) {
    std::string path = "group_by[" + std::to_string(i) + "]";
    if (ctx.type_of(path) == JH_TYPE_STRING) {
      std::string col = common::require_string(ctx, path);
      out.push_back({col, quote_ident(col)});
    } else if (ctx.type_of(path) == JH_TYPE_TABLE) {
      common::reject_unknown_keys(ctx, path, {"name", "expr"});
      out.push_back({common::require_string(ctx, path + ".name"), common::require_string(ctx, path + ".expr")});
    } else {
      throw FatalError("config: '" + path + "' must be a column name or a table { name = ..., expr = ... }");
    }
  }
  return out;
}

Status run_rollup(Context& ctx) {
  common::reject_unknown_keys(ctx, "", {"database", "source", "target", "group_by", "measures", "where", "column_types"});
  std::string database = common::require_string(ctx, "database");
  std::string source = common::require_string(ctx, "source");
  std::string target = common::require_string(ctx, "target");
  if (sql::same_identifier(source, target)) throw FatalError("config: 'target' must differ from 'source'");
  auto dims = read_group_by(ctx);
  if (ctx.type_of("measures") != JH_TYPE_TABLE || ctx.size_of("measures") == 0)
    throw FatalError("config: 'measures' must be a non-empty table of name = \"SQL expression\"");
  auto types = common::read_column_types(ctx, "column_types");

  std::string select, group;
  for (auto& d : dims) {
    select += (select.empty() ? "" : ", ") + d.expr + " AS " + quote_ident(d.name);
    group += (group.empty() ? "" : ", ") + d.expr;
  }
  for (auto& m : ctx.keys("measures"))
    select += (select.empty() ? "" : ", ") + common::require_string(ctx, "measures." + m) + " AS " + quote_ident(m);
  std::string query = "SELECT " + select + " FROM " + quote_ident(source);
  if (auto where = ctx.get<std::string>("where"); where && !where->empty()) query += " WHERE " + *where;
  if (!group.empty()) query += " GROUP BY " + group + " ORDER BY " + group;

  sql::Database db(database);
  if (!db.table_exists(source)) throw FatalError("source table '" + source + "' does not exist in " + database);
  sql::Transaction tx(db);
  auto st = db.prepare(query, "rollup of '" + source + "' into '" + target + "'");
  int64_t rows = common::materialize(db, target, st, types);
  st = sql::Statement();
  tx.commit();
  ctx.metric("rows", static_cast<double>(rows));
  ctx.set_output("rows", std::to_string(rows));
  ctx.set_output("target", target);
  ctx.log_info("rolled up '" + source + "' into " + std::to_string(rows) + " rows of '" + target + "'");
  return Status::ok();
}

}  // namespace

Status rollup(Context& ctx) { return common::run_named(ctx, run_rollup); }

}  // namespace jobhost::aggregation
