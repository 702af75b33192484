// Job types of the aggregation plugin (gold layer: materialised aggregates).
#pragma once
#include <jobhost/sdk.hpp>

namespace jobhost::aggregation {
Status sql(Context& ctx);
Status rollup(Context& ctx);
}  // namespace jobhost::aggregation
