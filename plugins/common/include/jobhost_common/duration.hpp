// Durations in job config (shared by utilities and the engine connectors): "250ms", "5s", "1.5m", "1h", "1d", or a plain number of seconds
// (the units of the host's `format: "duration"`, so a schema-checked value also parses here).
#pragma once

#include <chrono>
#include <jobhost/sdk.hpp>
#include <string>

namespace jobhost::common {

// The duration at config key `key`, or `fallback` when absent. FatalError naming the key
// when it is malformed or negative.
std::chrono::milliseconds config_duration(const Context& ctx, const std::string& key,
                                          std::chrono::milliseconds fallback);

// "1h", "5s", "250ms" (whole units), otherwise "<n> ms".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace jobhost::common
