#include "cli/common.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "cli/json_log_format.hpp"
#include "connections/connections.hpp"
#include "exec/host_services.hpp"
#include "resources/pool_config.hpp"
#include "state/state_path.hpp"
#include "util/logical_time.hpp"

namespace jobhost::cli {

std::vector<OptionSpec> common_options(std::vector<OptionSpec> more) {
  more.push_back({"--config", true});
  more.push_back({"--plugin-path", true, true});
  more.push_back({"--allow-insecure-plugins"});
  more.push_back({"--log-level", true});
  more.push_back({"--help"});
  return more;
}

HostConfig load_config(const Args& args) { return load_host_config(args.value("--config")); }

void setup_logging(const Args& args, const HostConfig& host) {
  auto logger = spdlog::stderr_color_mt("jobhost");
  std::string level = args.value("--log-level").value_or(host.log_level);
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    throw UsageError("--log-level must be trace, debug, info, warn, error or off");
  logger->set_level(lvl);
  if (host.log_format == "json") {
    logger->set_formatter(json_lines_formatter());
  } else {
    logger->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  }
  spdlog::set_default_logger(logger);
  if (host.secrets_dir) set_secrets_dir(*host.secrets_dir);
}

std::unique_ptr<PluginRegistry> make_plugin_registry(const Args& args, const HostConfig& host) {
  bool insecure = args.flag("--allow-insecure-plugins") ||
                  (std::getenv("JOBHOST_ALLOW_INSECURE_PLUGINS") &&
                   std::string(std::getenv("JOBHOST_ALLOW_INSECURE_PLUGINS")) == "1");
  auto reg = std::make_unique<PluginRegistry>(PluginLoadOptions{insecure});
  for (auto& dir : plugin_search_path(args.values("--plugin-path"), host.plugin_path))
    reg->load_path(dir);
  return reg;
}

std::unique_ptr<PluginRegistry> load_plugins(const Args& args, const HostConfig& host) {
  auto reg = make_plugin_registry(args, host);
  for (auto& r : reg->refused()) spdlog::warn("plugin refused: {}: {}", r.file, r.reason);
  // Connector jobs read the host's connections through the connections extension.
  if (host.connections) {
    check_connections(*host.connections, *reg);
    for (auto& w : connection_warnings(*host.connections)) spdlog::warn("{}", w);
    set_host_connections(host.connections);
  }

  // Pipelines are validated against the host's pools.
  set_host_pools(host.pools);
  return reg;
}

std::string state_path(const Args& args, const HostConfig& host) {
  return state::resolve_state_path(args.value("--state"), host.state_path);
}

std::unique_ptr<state::RunStore> open_store(const Args& args, const HostConfig& host) {
  state::StoreOptions opt;
  opt.path = state_path(args, host);
  opt.synchronous_full = host.synchronous_full;
  return state::RunStore::open(opt);
}

std::string logical_time_arg(const std::string& text, const char* option) {
  std::string why;
  auto key = normalize_logical_time(text, &why);
  if (!key)
    throw UsageError(std::string(option) + " '" + text + "': " + why + " (" + kLogicalTimeForms +
                     ")");
  return *key;
}

}  // namespace jobhost::cli
