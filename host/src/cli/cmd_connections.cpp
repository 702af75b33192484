// jobhost connections [--json]          list [connections.NAME] of the host config
// jobhost connections test NAME         check that one is reachable and its credentials work
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/diagnostics.hpp"
#include "connections/connections.hpp"
#include "exec/host_services.hpp"
#include "plugins/plugin_registry.hpp"

namespace jobhost::cli {
namespace {

const char* kHelp = R"(usage: jobhost connections [--json] [--config FILE] [--plugin-path DIR]...
       jobhost connections test NAME [--config FILE] [--plugin-path DIR]...

Lists the connections of the host config ([connections.NAME] in jobhost.toml): name, type,
URL, the plugin that provides the type, and each secret by name with whether it is defined
(never its value). `test NAME` asks the connection's plugin to reach the engine and
authenticate: exit 0 when it works, 1 with the reason when it does not, 2 for a bad config.
)";

bool secret_defined(const std::string& name) {
  auto* ext = static_cast<const jh_secrets_v1*>(
      host_services_table()->get_extension(JH_EXT_SECRETS));
  uint64_t len = 0;
  return ext && ext->get(nullptr, jh_str{name.data(), name.size()}, nullptr, 0, &len) == JH_OK;
}

boost::json::object describe(const ConnectionConfig& c, const PluginRegistry& reg) {
  auto doc = boost::json::parse(c.json).as_object();
  boost::json::object out{{"name", c.name}, {"type", c.type}};
  if (auto* url = doc.if_contains("url")) out["url"] = *url;
  const ConnectionTypeRef* type = reg.find_connection_type(c.type);
  out["plugin"] = type ? boost::json::value(type->plugin) : boost::json::value(nullptr);
  boost::json::array secrets;
  for (auto& [key, value] : doc)
    if (key.ends_with("_secret") && value.is_string()) {
      std::string name(value.as_string());
      secrets.push_back({{"key", key}, {"name", name}, {"defined", secret_defined(name)}});
    }
  out["secrets"] = std::move(secrets);
  return out;
}

void print_list(const Connections& connections, const PluginRegistry& reg) {
  if (connections.all().empty()) {
    std::cout << "no connections"
              << (connections.file().empty() ? " (no host config: pass --config jobhost.toml)"
                                             : " in " + connections.file())
              << "\n";
    return;
  }
  for (auto& c : connections.all()) {
    auto d = describe(c, reg);
    std::cout << c.name << "  " << c.type << "  "
              << (d.contains("url") ? boost::json::value_to<std::string>(d["url"]) : "-") << "  "
              << (reg.find_connection_type(c.type) ? "" : "(unknown type: no loaded plugin provides it)");
    for (auto& s : d["secrets"].as_array()) {
      auto& o = s.as_object();
      std::cout << "  " << o.at("key").as_string().c_str() << "=" << o.at("name").as_string().c_str()
                << (o.at("defined").as_bool() ? "" : " (not defined)");
    }
    std::cout << "\n";
  }
}

int test_connection(const Connections& connections, const PluginRegistry& reg,
                    const std::string& name) {
  const ConnectionConfig* c = connections.find(name);
  if (!c) {
    std::string hint = closest_match(name, connections.names());
    throw UsageError("no connection '" + name + "' in " +
                     (connections.file().empty() ? std::string("the host config (none was read)")
                                                 : connections.file()) +
                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  const ConnectionTypeRef* type = reg.find_connection_type(c->type);
  if (!type) throw UsageError("connection '" + name + "' has type '" + c->type +
                              "', which no loaded plugin provides (see jobhost plugins)");
  jh_job_ctx ctx;
  ctx.run_id = "connections";
  ctx.job_name = name;
  jh_status st = type->type->test(type->type, host_services_table(), &ctx,
                                  jh_str{name.data(), name.size()});
  if (st == JH_STATUS_OK) {
    std::cout << "connection '" << name << "' (" << c->type << "): ok\n";
    return kOk;
  }
  std::lock_guard lock(ctx.mu);
  std::cerr << "connection '" << name << "' (" << c->type << ") failed: "
            << (ctx.error.empty() ? std::string("no reason given") : ctx.error) << "\n";
  return kFailed;
}

}  // namespace

int cmd_connections(const std::vector<std::string>& argv) {
  Args args(argv, common_options({{"--json"}}));
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  auto& pos = args.positional();
  if (!pos.empty() && !(pos.size() == 2 && pos[0] == "test"))
    throw UsageError("usage: jobhost connections [--json] | jobhost connections test NAME");
  HostConfig host = load_config(args);
  setup_logging(args, host);
  auto reg = load_plugins(args, host);  // also checks the connections against their types
  if (pos.size() == 2) return test_connection(*host.connections, *reg, pos[1]);
  if (args.flag("--json")) {
    boost::json::array list;
    for (auto& c : host.connections->all()) list.push_back(describe(c, *reg));
    std::cout << boost::json::serialize(boost::json::object{{"connections", std::move(list)}}) << "\n";
  } else {
    print_list(*host.connections, *reg);
  }
  return kOk;
}

}  // namespace jobhost::cli
