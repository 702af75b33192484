// Loads plugin shared libraries, checks their ABI, and resolves "plugin.job_type" names.
#pragma once

#include <jobhost/abi.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/connection_types.hpp"

namespace jobhost {

class LoadedLibrary;  // a mapped .so; unmapped when the last JobTypeRef to it is gone
class ConfigSchema;   // config/config_schema.hpp

struct PluginInfo {
  std::string file;
  std::string name;
  std::string version;
  std::string description;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::vector<std::string> job_types;  // qualified names
  std::vector<std::string> connection_types;  // e.g. "airflow"
};

struct RefusedPlugin {
  std::string file;
  std::string reason;
  std::string plugin_name;  // from its descriptor when it could be read; else empty
};

// A resolved job type. Copying it keeps the plugin library loaded.
struct JobTypeRef {
  std::string qualified_name;  // "plugin.type"
  std::string summary;
  std::string version;
  std::string config_example;
  std::string plugin_file;
  const jh_job_type* type = nullptr;
  std::shared_ptr<const LoadedLibrary> library;
  // ABI 1.1 members, as far as the plugin's struct_size has them.
  std::string doc;
  std::shared_ptr<const ConfigSchema> config_schema;   // null: not declared
  std::shared_ptr<const ConfigSchema> outputs_schema;  // null: not declared
  bool can_defer = false;     // has a poll entry
  bool can_cancel = false;    // has a cancel entry
  bool can_reattach = false;  // can_defer and not JH_JOB_NO_REATTACH
  // The connection types its plugin declares: config key `connection` names one of them.
  std::vector<std::string> connection_types;

  // Fills the 1.1 members from `type`. Throws ConfigSchema's SchemaError for a bad schema.
  void read_abi_1_1();
};

struct PluginLoadOptions {
  // Development only: load plugins from folders or files that other users can write.
  bool allow_insecure_permissions = false;
};

class PluginRegistry {
 public:
  explicit PluginRegistry(PluginLoadOptions options = {});
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads every shared library in a folder (sorted by name), or one file. Never throws for
  // a bad plugin: it is listed in refused() and the others still load. A folder or file
  // already seen (by canonical path, e.g. named twice in the search path) is skipped.
  void load_path(const std::filesystem::path& path);

  // nullptr when unknown.
  const JobTypeRef* find(std::string_view qualified_name) const;
  std::vector<std::string> job_type_names() const;
  // nullptr when no loaded plugin declares it.
  const ConnectionTypeRef* find_connection_type(std::string_view name) const;
  const std::map<std::string, ConnectionTypeRef, std::less<>>& connection_types() const {
    return connection_types_;
  }

  const std::vector<PluginInfo>& plugins() const { return plugins_; }
  const std::vector<RefusedPlugin>& refused() const { return refused_; }

 private:
  void load_file(const std::filesystem::path& file);
  void refuse(const std::filesystem::path& file, std::string reason, std::string plugin_name = {});
  // False when `path` was seen before; records it otherwise.
  bool first_visit(const std::filesystem::path& path);

  PluginLoadOptions options_;
  std::vector<PluginInfo> plugins_;
  std::vector<RefusedPlugin> refused_;
  std::map<std::string, JobTypeRef, std::less<>> job_types_;
  std::map<std::string, ConnectionTypeRef, std::less<>> connection_types_;
  std::set<std::filesystem::path> visited_;
};

// Where plugins are looked for, in order: --plugin-path dirs, JOBHOST_PLUGIN_PATH
// (colon-separated), plugin_path from the host config, <exe dir>/../lib/jobhost/plugins.
std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::string>& cli_dirs, const std::vector<std::string>& host_config_dirs);

// The path of the running executable.
std::filesystem::path executable_path();

}  // namespace jobhost
