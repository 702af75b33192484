// The connection types a plugin declares (extension "jobhost.connection_types/1"): what
// `type = "..."` in [connections.NAME] may say, the schema its table must match, and the test
// behind `jobhost connections test NAME`.
#pragma once

#include <jobhost/abi.h>

#include <memory>
#include <string>
#include <vector>

namespace jobhost {

class ConfigSchema;
class LoadedLibrary;

struct ConnectionTypeRef {
  std::string name;         // "airflow"
  std::string summary;
  std::string plugin;       // the plugin's name
  std::string plugin_file;
  std::shared_ptr<const ConfigSchema> schema;  // null: not declared
  const jh_connection_type* type = nullptr;
  std::shared_ptr<const LoadedLibrary> library;  // keeps `type` mapped
};

// Reads the plugin's connection types, if it declares any. Returns the reason to refuse the
// plugin (a bad struct, name or schema), or "" when they are fine.
std::string read_connection_types(const jh_plugin& plugin, const std::string& plugin_name,
                                  const std::string& file, std::vector<ConnectionTypeRef>& out);

}  // namespace jobhost
