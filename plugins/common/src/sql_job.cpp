#include "jobhost_common/sql_job.hpp"

#include <fstream>
#include <optional>
#include <sstream>

#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/materialize.hpp"
#include "jobhost_common/sql_template.hpp"
#include "jobhost_common/sqlite.hpp"

namespace jobhost::common {
namespace {

struct SqlSource {
  std::string text;
  std::string name;  // for error messages: "sql" or "sql_file '<path>'"
};

SqlSource read_sql(const Context& ctx) {
  bool inline_sql = ctx.has("sql"), file = ctx.has("sql_file");
  if (inline_sql == file) throw FatalError("config: set exactly one of 'sql' or 'sql_file'");
  if (inline_sql) return {require_string(ctx, "sql"), "sql"};
  std::string path = require_string(ctx, "sql_file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FatalError("sql_file '" + path + "': cannot open the file");
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string name = "sql_file '" + path + "'";
  // Pipeline strings were expanded by the host; the file's contents are ours to expand.
  return {expand_template(buf.str(), ctx, path), name};
}

}  // namespace

Status run_sql_job(Context& ctx, SqlJobOptions options) {
  reject_unknown_keys(ctx, "", {"database", "sql", "sql_file", "target", "column_types"});
  std::string database = require_string(ctx, "database");
  std::optional<std::string> target = ctx.get<std::string>("target");
  if (options.target_required && !target) throw FatalError("config: missing required key 'target'");
  if (target && target->empty()) throw FatalError("config: 'target' must not be empty");
  auto types = read_column_types(ctx, "column_types");
  if (!types.empty() && !target) throw FatalError("config: 'column_types' needs a 'target'");
  SqlSource source = read_sql(ctx);

  sql::Database db(database);
  sql::Transaction tx(db);
  int64_t changes_before = db.total_changes();
  sql::Database::Script script(db, source.text, source.name);
  // With a target, the last statement is the query to materialise; the ones before it run
  // first (they may create temp tables the query reads).
  int64_t rows = 0;
  bool any = false;
  while (auto st = script.next()) {
    any = true;
    if (ctx.cancelled()) return Status::cancelled();
    if (target && script.done()) {
      rows = materialize(db, *target, *st, types);
    } else {
      st->run();
    }
  }
  if (!any) throw FatalError(source.name + ": contains no SQL statement");
  int statements = script.index();
  int64_t changes = db.total_changes() - changes_before;
  tx.commit();

  ctx.metric("statements", statements);
  if (target) {
    ctx.metric("rows", static_cast<double>(rows));
    ctx.set_output("rows", std::to_string(rows));
    ctx.set_output("target", *target);
    ctx.log_info("materialised " + std::to_string(rows) + " rows into '" + *target + "' in " + database);
  } else {
    ctx.metric("changes", static_cast<double>(changes));
    ctx.set_output("changes", std::to_string(changes));
    ctx.log_info("ran " + std::to_string(statements) + " statements on " + database + " (" +
                 std::to_string(changes) + " rows changed)");
  }
  return Status::ok();
}

}  // namespace jobhost::common
