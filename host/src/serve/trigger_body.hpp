// The body of POST /api/v1/pipelines/{name}/runs: {"date": "...", "params": {...}, "force": b},
// every field optional, nothing else allowed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "serve/daemon_control.hpp"

namespace jobhost::serve {

// Fills date, params and force of `out` from `body` (empty: none given). Returns what is wrong
// (not JSON, not an object, an unknown field, a wrong type), or nothing when it is fine.
std::optional<std::string> parse_trigger_body(std::string_view body, TriggerRequest& out);

}  // namespace jobhost::serve
