// What every pipeline command shares: host config, logging, plugin loading, the store.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "config/host_config.hpp"
#include "plugins/plugin_registry.hpp"
#include "state/run_store.hpp"

namespace jobhost::cli {

// --config, --plugin-path (repeatable), --allow-insecure-plugins, --log-level, --help.
std::vector<OptionSpec> common_options(std::vector<OptionSpec> more);

HostConfig load_config(const Args& args);
// Log level from --log-level, else the host config; format text or json lines, on stderr.
void setup_logging(const Args& args, const HostConfig& host);
// Loads the plugin search path (--plugin-path, $JOBHOST_PLUGIN_PATH, the host config, the
// default folder), honouring --allow-insecure-plugins / $JOBHOST_ALLOW_INSECURE_PLUGINS=1.
std::unique_ptr<PluginRegistry> make_plugin_registry(const Args& args, const HostConfig& host);
// The same; refused files are logged as warnings (they do not stop a run).
std::unique_ptr<PluginRegistry> load_plugins(const Args& args, const HostConfig& host);
// --state, $JOBHOST_STATE, host config state_path, .jobhost/state.db: one rule for the
// commands that write the store and those that read it.
std::string state_path(const Args& args, const HostConfig& host);
std::unique_ptr<state::RunStore> open_store(const Args& args, const HostConfig& host);

// A --date value as the run's key (util/logical_time.hpp): a date as it is, an ISO instant
// normalised to UTC. Throws UsageError (exit 2) saying what is wrong.
std::string logical_time_arg(const std::string& text, const char* option = "--date");

}  // namespace jobhost::cli
