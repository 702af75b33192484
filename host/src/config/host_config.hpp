// Host settings (jobhost.toml), found via --config FILE, $JOBHOST_CONFIG, or ./jobhost.toml.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/job_resources.hpp"

namespace jobhost {

class Connections;  // connections/connections.hpp
struct HostPools;   // resources/pool_config.hpp

struct HostConfig {
  std::string file;                     // where it was read from; "" when none
  std::vector<std::string> plugin_path; // relative entries resolve against the file's folder
  std::optional<std::string> state_path;
  std::optional<int> max_parallel;
  std::optional<int> max_deferred;      // deferrable attempts in progress at once (default 10,000)
  std::string log_level = "info";       // trace debug info warn error off
  std::string log_format = "text";      // text | json
  std::optional<std::string> secrets_dir;
  std::optional<std::string> scratch_dir;
  bool synchronous_full = false;        // state store: synchronous=FULL instead of NORMAL
  std::shared_ptr<const Connections> connections;  // [connections.NAME]; never null
  std::optional<std::string> api_token_secret;     // serve: name of the API's bearer token secret
  std::shared_ptr<const HostPools> pools;          // [pools] NAME = SLOTS; never null
  // [plugins.NAME] isolation: where that plugin's jobs run unless a job or pipeline says.
  std::map<std::string, Isolation> plugin_isolation;
};

// Throws InputError (file:line:col) on a bad file; a missing explicit file is an error too,
// a missing ./jobhost.toml is not.
HostConfig load_host_config(const std::optional<std::string>& cli_path);

}  // namespace jobhost
