// One place that makes every failure message name the job.
#pragma once

#include <jobhost/sdk.hpp>

namespace jobhost::common {

using JobBody = Status (*)(Context&);

// Runs body(ctx); a FatalError / RetryableError / other exception escaping it is rethrown
// with the same retry semantics and its message prefixed by "job '<name>' (<type>): ", so the
// run log and the CLI say which job failed without the host having to add it.
Status run_named(Context& ctx, JobBody body);

}  // namespace jobhost::common
