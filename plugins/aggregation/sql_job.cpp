#include "jobhost_common/job_errors.hpp"
#include "jobhost_common/sql_job.hpp"
#include "jobs.hpp"

namespace jobhost::aggregation {

namespace {
Status run_sql(Context& ctx) { return common::run_sql_job(ctx, {/*target_required=*/true}); }
}  // namespace

Status sql(Context& ctx) { return common::run_named(ctx, run_sql); }

}  // namespace jobhost::aggregation
