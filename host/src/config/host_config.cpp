#include "config/host_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <toml++/toml.h>

#include "config/strict_table.hpp"
#include "connections/connections.hpp"
#include "resources/pool_config.hpp"

namespace jobhost {

namespace {

// [plugins.NAME]: per-plugin settings (today: isolation, "thread" or "process").
void read_plugin_settings(const toml::table& plugins, HostConfig& cfg, Diagnostics& diags) {
  for (auto& [name, node] : plugins) {
    const toml::table* table = node.as_table();
    if (!table) {
      diags.add(node, "[plugins." + std::string(name.str()) + "] must be a table");
      continue;
    }
    StrictTable t(*table, "plugins." + std::string(name.str()), diags);
    t.allow({"isolation"});
    if (auto v = t.string("isolation")) {
      if (auto i = isolation_from_string(*v)) cfg.plugin_isolation[std::string(name.str())] = *i;
      else t.error("isolation", "isolation must be \"thread\" or \"process\", got '" + *v + "'", *v, {"thread", "process"});
    }
  }
}

}  // namespace

HostConfig load_host_config(const std::optional<std::string>& cli_path) {
  HostConfig cfg;
  cfg.connections = std::make_shared<Connections>();
  cfg.pools = std::make_shared<HostPools>();
  std::string path;
  bool explicit_path = true;
  if (cli_path) path = *cli_path;
  else if (const char* env = std::getenv("JOBHOST_CONFIG"); env && *env) path = env;
  else {
    path = "jobhost.toml";
    explicit_path = false;
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (explicit_path) throw InputError(path, 0, 0, "host config file not found");
    return cfg;
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<int>(e.source().begin.line),
                     static_cast<int>(e.source().begin.column), std::string(e.description()));
  }
  cfg.file = path;
  Diagnostics diags(path);
  StrictTable t(root, "host config", diags);
  t.allow({"plugin_path", "state_path", "max_parallel", "max_deferred", "log_level", "log_format",
           "secrets_dir", "scratch_dir", "state_synchronous", "connections", "api_token_secret",
           "plugins", "pools"});
  auto base = std::filesystem::path(path).parent_path();
  auto resolve = [&](const std::string& p) {
    return std::filesystem::path(p).is_absolute() || base.empty() ? p : (base / p).string();
  };
  for (auto& p : t.string_list("plugin_path")) cfg.plugin_path.push_back(resolve(p));
  if (auto v = t.string("state_path")) cfg.state_path = resolve(*v);
  if (auto v = t.integer("max_parallel", 1, 100000)) cfg.max_parallel = static_cast<int>(*v);
  if (auto v = t.integer("max_deferred", 1, 10000000)) cfg.max_deferred = static_cast<int>(*v);
  if (auto v = t.string("log_level")) {
    static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
    if (std::find(levels.begin(), levels.end(), *v) == levels.end())
      t.error("log_level", "log_level must be one of trace, debug, info, warn, error, off", *v, levels);
    else cfg.log_level = *v;
  }
  if (auto v = t.string("log_format")) {
    if (*v != "text" && *v != "json") t.error("log_format", "log_format must be \"text\" or \"json\"");
    else cfg.log_format = *v;
  }
  if (auto v = t.string("secrets_dir")) cfg.secrets_dir = resolve(*v);
  if (auto v = t.string("scratch_dir")) cfg.scratch_dir = resolve(*v);
  if (auto v = t.string("state_synchronous")) {
    if (*v != "normal" && *v != "full") t.error("state_synchronous", "state_synchronous must be \"normal\" or \"full\"");
    cfg.synchronous_full = *v == "full";
  }
  if (auto v = t.string("api_token_secret")) cfg.api_token_secret = *v;
  if (const toml::table* plugins = t.table("plugins")) read_plugin_settings(*plugins, cfg, diags);
  HostPools pools{path, {}};
  if (const toml::table* p = t.table("pools")) pools.list = read_pools(*p, diags);
  cfg.pools = std::make_shared<const HostPools>(std::move(pools));
  if (const toml::table* connections = t.table("connections"))
    cfg.connections = std::make_shared<Connections>(
        read_connections(*connections, path, base.string(), diags));
  diags.throw_if_any();
  return cfg;
}

}  // namespace jobhost
