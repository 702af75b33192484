// Durations as written in TOML: "250ms" "10s" "5m" "2h" "1d", or a number of seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace jobhost {

using Millis = std::chrono::milliseconds;

// nullopt when malformed or negative.
std::optional<Millis> parse_duration(std::string_view text);
std::optional<Millis> duration_from_seconds(double seconds);

}  // namespace jobhost
