// The [connections.NAME] tables of the host config: how connector job types reach remote
// engines (Airflow, Databricks, ADF, Prefect). Secrets appear in them only by name, in keys
// ending in "_secret"; a literal credential is refused when the config is read.
//
// Read by load_host_config, checked against the connection types plugins declare
// (check_connections), and served to plugins through the "jobhost.connections/1" extension.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <toml++/toml.h>

namespace jobhost {

class Diagnostics;
class PluginRegistry;

struct ConnectionConfig {
  std::string name;
  std::string type;
  int line = 0, column = 0;             // of the [connections.NAME] header
  std::shared_ptr<const toml::table> table;  // as written, with source positions
  std::string json;                     // the table as a JSON object, "name" and "type" added
  std::vector<std::string> secret_names;  // values of its *_secret keys
};

class Connections {
 public:
  Connections() = default;
  Connections(std::string file, std::vector<ConnectionConfig> list)
      : file_(std::move(file)), list_(std::move(list)) {}
  const ConnectionConfig* find(std::string_view name) const;
  const std::vector<ConnectionConfig>& all() const { return list_; }
  std::vector<std::string> names() const;
  const std::string& file() const { return file_; }  // the host config it came from

 private:
  std::string file_;
  std::vector<ConnectionConfig> list_;
};

// Reads the `connections` table of a host config (`base` resolves relative ca_file paths).
// Problems go to `diags` with their line and column.
Connections read_connections(const toml::table& connections, const std::string& file,
                             const std::string& base, Diagnostics& diags);

// Checks every connection whose type a loaded plugin declares against that type's schema.
// Throws InputError (naming the host config, line and column) when one does not match.
void check_connections(const Connections& connections, const PluginRegistry& plugins);

// A job of a connector type (one whose plugin declares connection types) names in config key
// `connection` a connection that exists and has one of those types. Reports into `diags` at
// the value's position.
struct JobSpec;
void check_job_connection(const JobSpec& job, const std::vector<std::string>& allowed_types,
                          const Connections& connections, Diagnostics& diags);

// The connections the "jobhost.connections/1" extension serves (empty until set).
void set_host_connections(std::shared_ptr<const Connections> connections);
std::shared_ptr<const Connections> host_connections();

// Warnings about connections that work but are risky (plain http:// to a remote host).
std::vector<std::string> connection_warnings(const Connections& connections);

}  // namespace jobhost
