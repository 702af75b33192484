#include "serve/catalog.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/diagnostics.hpp"
#include "config/pipeline_loader.hpp"
#include "plugins/plugin_registry.hpp"

namespace jobhost::serve {
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream out;
  out << f.rdbuf();
  return out.str();
}

std::string describe(const InputError& e) {
  std::string text;
  for (auto& d : e.diagnostics()) text += (text.empty() ? "" : "\n") + d.format();
  return text.empty() ? e.what() : text;
}

}  // namespace

Catalog::Catalog(fs::path folder, const PluginRegistry& plugins)
    : folder_(std::move(folder)), plugins_(plugins) {}

void Catalog::load_file(const fs::path& path, FileState& state, ReloadReport& report) {
  const bool first = !state.loaded;
  std::string content = read_all(path);
  if (!first && content == state.content) return;  // touched, not changed
  state.loaded = true;
  state.content = std::move(content);
  try {
    auto spec = std::make_shared<PipelineSpec>(load_pipeline_text(state.content, path.string()));
    validate_pipeline(*spec, plugins_);
    state.entry.name = spec->name;
    state.entry.spec = std::move(spec);
    state.entry.error.clear();
    (first ? report.added : report.changed).push_back(state.entry.name);
  } catch (const InputError& e) {
    state.entry.error = describe(e);
    if (state.entry.name.empty()) state.entry.name = path.stem().string();
    report.invalid.push_back(path.string() + ": " + state.entry.error);
  } catch (const std::exception& e) {
    state.entry.error = path.string() + ": " + e.what();
    if (state.entry.name.empty()) state.entry.name = path.stem().string();
    report.invalid.push_back(state.entry.error);
  }
}

ReloadReport Catalog::reload() {
  ReloadReport report;
  std::vector<fs::path> present;
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec) && it->path().extension() == ".toml") present.push_back(it->path());
  std::sort(present.begin(), present.end());

  std::lock_guard lock(mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    // `present` is sorted: a binary search (a linear one made each rescan quadratic in the
    // number of files, most of the daemon's idle CPU with 1,000 pipelines).
    if (!std::binary_search(present.begin(), present.end(), fs::path(it->first))) {
      report.removed.push_back(it->second.entry.name);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& path : present) {
    FileState& state = files_[path.string()];
    state.entry.file = path.string();
    const auto mtime = fs::last_write_time(path, ec);
    const auto size = fs::file_size(path, ec);
    if (state.loaded && mtime == state.mtime && size == state.size) continue;
    state.mtime = mtime;
    state.size = size;
    load_file(path, state, report);
  }
  // Two files naming the same pipeline: the later file (by path) is refused.
  std::map<std::string, std::string> owner;
  for (auto& [path, state] : files_) {
    if (!state.entry.spec) continue;
    auto [it, inserted] = owner.emplace(state.entry.spec->name, path);
    if (!inserted) {
      state.entry.error = path + ": pipeline '" + state.entry.spec->name + "' is also defined in " + it->second;
      state.entry.spec.reset();
      state.mtime = {};  // look again next time: the other file may go away
      state.content.clear();
      report.invalid.push_back(state.entry.error);
    }
  }
  return report;
}

std::vector<CatalogEntry> Catalog::entries() const {
  std::lock_guard lock(mu_);
  std::vector<CatalogEntry> out;
  for (auto& [path, state] : files_) out.push_back(state.entry);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

std::shared_ptr<const PipelineSpec> Catalog::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  for (auto& [path, state] : files_)
    if (state.entry.spec && state.entry.spec->name == name) return state.entry.spec;
  return nullptr;
}

}  // namespace jobhost::serve
