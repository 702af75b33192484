#include "state/state_path.hpp"

#include <cstdlib>

namespace jobhost::state {

std::string resolve_state_path(const std::optional<std::string>& cli,
                               const std::optional<std::string>& config) {
  if (cli && !cli->empty()) return *cli;
  if (const char* env = std::getenv("JOBHOST_STATE"); env && *env) return env;
  if (config && !config->empty()) return *config;
  return ".jobhost/state.db";
}

}  // namespace jobhost::state
