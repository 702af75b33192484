// Where the run store lives when the user does not say.
#pragma once

#include <optional>
#include <string>

namespace jobhost::state {

// The store path by precedence: `cli` (--state PATH) when given, else $JOBHOST_STATE when set
// and non-empty, else `config` (the host config's state_path) when given, else
// ".jobhost/state.db" relative to the working directory.
std::string resolve_state_path(const std::optional<std::string>& cli,
                               const std::optional<std::string>& config = std::nullopt);

}  // namespace jobhost::state
