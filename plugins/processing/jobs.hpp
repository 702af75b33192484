// Job types of the processing plugin (silver layer: transform and validate).
#pragma once
#include <jobhost/sdk.hpp>

namespace jobhost::processing {
// `sql` is a C++ identifier-safe name for the job type "sql".
Status sql(Context& ctx);
Status validate(Context& ctx);
}  // namespace jobhost::processing
