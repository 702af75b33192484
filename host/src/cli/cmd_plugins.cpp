// jobhost plugins [--json] [--plugin-path DIR]... [--allow-insecure-plugins]
#include <boost/json.hpp>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/job_type_json.hpp"
#include "cli/common.hpp"
#include "config/config_schema.hpp"
#include "plugins/plugin_registry.hpp"

namespace jobhost::cli {
namespace {

const char* kHelp = R"(usage: jobhost plugins [--json] [--plugin-path DIR]... [--allow-insecure-plugins]

Lists every loaded plugin (file, name, version, ABI version) and its job types, and every
refused file with the reason. Exit code 0 when everything loaded, 2 when a file was refused.
Plugins are searched in --plugin-path, $JOBHOST_PLUGIN_PATH, the host config's plugin_path,
and <exe dir>/../lib/jobhost/plugins.
)";

boost::json::array connection_types_json(const PluginRegistry& reg, const PluginInfo& p) {
  boost::json::array out;
  for (auto& name : p.connection_types) {
    const ConnectionTypeRef* t = reg.find_connection_type(name);
    boost::json::object o{{"name", name}, {"summary", t->summary}};
    o["schema"] = t->schema ? boost::json::parse(t->schema->json()) : boost::json::value(nullptr);
    out.push_back(std::move(o));
  }
  return out;
}

boost::json::object to_json(const PluginRegistry& reg) {
  boost::json::array plugins, refused;
  for (auto& p : reg.plugins()) {
    boost::json::array types;
    for (auto& t : p.job_types) types.push_back(job_type_json(*reg.find(t)));
    plugins.push_back({{"file", p.file}, {"name", p.name}, {"version", p.version},
                       {"description", p.description},
                       {"abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)},
                       {"job_types", std::move(types)},
                       {"connection_types", connection_types_json(reg, p)}});
  }
  for (auto& r : reg.refused()) refused.push_back({{"file", r.file}, {"reason", r.reason}});
  return {{"plugins", std::move(plugins)}, {"refused", std::move(refused)}};
}

}  // namespace

int cmd_plugins(const std::vector<std::string>& argv) {
  Args args(argv, common_options({{"--json"}}));
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (!args.positional().empty()) throw UsageError("plugins takes no positional arguments");
  // One loader for every command: the same search path, host config and opt-outs as `run`.
  auto registry = make_plugin_registry(args, load_config(args));
  const PluginRegistry& reg = *registry;

  if (args.flag("--json")) {
    std::cout << boost::json::serialize(to_json(reg)) << "\n";
  } else {
    for (auto& p : reg.plugins()) {
      std::cout << p.name << " " << p.version << "  (ABI " << p.abi_major << "." << p.abi_minor
                << ")  " << p.file << "\n";
      for (auto& t : p.job_types) std::cout << "  " << t << "  " << reg.find(t)->summary << "\n";
      for (auto& c : p.connection_types)
        std::cout << "  connection type " << c << "  " << reg.find_connection_type(c)->summary << "\n";
    }
    for (auto& r : reg.refused()) std::cerr << "refused: " << r.file << ": " << r.reason << "\n";
  }
  return reg.refused().empty() ? kOk : kBadInput;
}

}  // namespace jobhost::cli
