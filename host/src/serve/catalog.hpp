// The pipelines a daemon serves: every *.toml in one folder, validated against the loaded
// plugins. A file that stops validating keeps its last valid version (and its schedule) and
// is reported; a removed file is dropped. reload() is cheap when nothing changed (size and
// modification time first, then the content).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/pipeline_spec.hpp"

namespace jobhost {
class PluginRegistry;
}

namespace jobhost::serve {

struct CatalogEntry {
  std::string file;                          // path of the pipeline file
  std::string name;                          // pipeline name (of the last valid version)
  std::shared_ptr<const PipelineSpec> spec;  // last valid version; null: never valid
  std::string error;                         // the file's current problem; "" when valid
};

struct ReloadReport {
  std::vector<std::string> added, changed, removed;  // pipeline names (or file names)
  std::vector<std::string> invalid;                  // "file: error"
  bool any() const { return !added.empty() || !changed.empty() || !removed.empty() || !invalid.empty(); }
};

class Catalog {
 public:
  Catalog(std::filesystem::path folder, const PluginRegistry& plugins);

  // Rescans the folder. [thread-safe]
  ReloadReport reload();
  // The current entries, sorted by name. [thread-safe]
  std::vector<CatalogEntry> entries() const;
  // The last valid version of a pipeline, or null. [thread-safe]
  std::shared_ptr<const PipelineSpec> find(const std::string& name) const;
  const std::filesystem::path& folder() const { return folder_; }

 private:
  struct FileState {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    bool loaded = false;  // read at least once
    std::string content;
    CatalogEntry entry;
  };
  void load_file(const std::filesystem::path& path, FileState& state, ReloadReport& report);

  std::filesystem::path folder_;
  const PluginRegistry& plugins_;
  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;  // by path
};

}  // namespace jobhost::serve
