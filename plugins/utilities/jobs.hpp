// Job functions of the utilities plugin.
#pragma once
#include <jobhost/sdk.hpp>

namespace jobhost::utilities {
Status noop(Context& ctx);
Status shell(Context& ctx);
Status file_sensor(Context& ctx);
Status http(Context& ctx);
Status retention(Context& ctx);
}  // namespace jobhost::utilities
