#include "jobhost_common/job_errors.hpp"
#include "jobhost_common/sql_job.hpp"
#include "jobs.hpp"

namespace jobhost::processing {

namespace {
Status run_sql(Context& ctx) { return common::run_sql_job(ctx, {/*target_required=*/false}); }
}  // namespace

Status sql(Context& ctx) { return common::run_named(ctx, run_sql); }

}  // namespace jobhost::processing
