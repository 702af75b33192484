// processing.validate: runs data-quality checks on one table and reports each check's
// failing-row count as metric check.<index>.<type>.failed. Read-only; an error-severity
// failure fails the job (fatal: rerunning on the same data cannot pass).
#include "checks.hpp"
#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobs.hpp"

namespace jobhost::processing {
namespace {

Status run_validate(Context& ctx) {
  common::reject_unknown_keys(ctx, "", {"database", "table", "checks"});
  std::string database = common::require_string(ctx, "database");
  std::string table = common::require_string(ctx, "table");
  if (!ctx.has("checks")) throw FatalError("config: missing required key 'checks'");

  sql::Database db(database);
  auto columns = db.columns(table);
  if (columns.empty()) throw FatalError("table '" + table + "' does not exist in " + database);
  auto checks = read_checks(ctx, table, columns);

  // One read transaction: every check sees the same snapshot.
  db.exec("BEGIN", "starting a read transaction");
  std::vector<std::string> errors;
  int warned = 0;
  for (auto& c : checks) {
    if (ctx.cancelled()) return Status::cancelled();
    CheckResult r = run_check(db, table, c, ctx.logical_date());
    ctx.metric("check." + std::to_string(c.index) + "." + c.type + ".failed", static_cast<double>(r.failed));
    if (r.failed == 0) {
      ctx.log_info(c.label + ": passed");
      continue;
    }
    std::string line = c.label + ": " + std::to_string(r.failed) + " failing row(s)";
    (c.warn_only ? ctx.log_warn(line + " [warn]") : ctx.log_error(line));
    for (auto& ex : r.examples) ctx.log(c.warn_only ? JH_LOG_WARN : JH_LOG_ERROR, "  e.g. " + ex);
    if (c.warn_only) ++warned;
    else errors.push_back(c.label + ": " + std::to_string(r.failed) + " failing row(s)" +
                          (r.examples.empty() ? "" : ", e.g. " + r.examples.front()));
  }
  db.exec("COMMIT", "ending the read transaction");
  ctx.metric("checks_failed", static_cast<double>(errors.size()));
  ctx.metric("checks_warned", warned);
  ctx.set_output("checks_failed", std::to_string(errors.size()));
  ctx.set_output("checks_warned", std::to_string(warned));
  if (!errors.empty()) {
    std::string msg = "table '" + table + "' failed " + std::to_string(errors.size()) + " of " +
                      std::to_string(checks.size()) + " checks: ";
    for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
    throw FatalError(msg);
  }
  ctx.log_info("table '" + table + "': " + std::to_string(checks.size()) + " checks passed" +
               (warned ? " (" + std::to_string(warned) + " with warnings)" : ""));
  return Status::ok();
}

}  // namespace

Status validate(Context& ctx) { return common::run_named(ctx, run_validate); }

}  // namespace jobhost::processing
