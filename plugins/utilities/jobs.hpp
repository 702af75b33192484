// Job functions of the utilities plugin.
#pragma once
#include <jobhost/sdk.hpp>

namespace jobhost::utilities {
Status noop(Context& ctx);
Status shell(Context& ctx);
}  // namespace jobhost::utilities
