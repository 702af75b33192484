#include "plugins/plugin_registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include "config/config_schema.hpp"
#include "exec/host_services.hpp"
#include "plugins/file_permissions.hpp"

namespace jobhost {

// Owns the mapping; tells the plugin to shut down before it is unmapped.
class LoadedLibrary {
 public:
  LoadedLibrary(boost::dll::shared_library lib, const jh_plugin* plugin)
      : lib_(std::move(lib)), plugin_(plugin) {}
  ~LoadedLibrary() {
    if (initialised_ && plugin_->shutdown) plugin_->shutdown();
  }
  bool initialised_ = false;

 private:
  boost::dll::shared_library lib_;
  const jh_plugin* plugin_;
};

namespace {

// dlopen and plugin init are not assumed to be thread-safe: loads are serialised.
std::mutex& load_mutex() {
  static std::mutex m;
  return m;
}

bool looks_like_plugin_file(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  return ext == ".so" || ext == ".dylib" || ext == ".dll";
}

std::string safe(const char* s) { return s ? s : ""; }

// A refusal is one line: folds line breaks from loader messages and plugin-supplied text.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool valid_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool has_elf_header(const std::filesystem::path& file) {
  char magic[4] = {};
  std::ifstream in(file, std::ios::binary);
  return in.read(magic, sizeof magic) && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
}

// The dynamic loader's own words from Boost.DLL's message, without Boost's wrapping and the
// file name the refusal already carries: "libfoo.so.1: cannot open shared object file: ...".
std::string loader_reason(std::string_view what, const std::filesystem::path& file) {
  std::string_view s = what;
  constexpr std::string_view kStart = "dlerror system message: ";
  if (auto b = s.find(kStart); b != std::string_view::npos) {
    s.remove_prefix(b + kStart.size());
    if (auto e = s.rfind("):"); e != std::string_view::npos) s = s.substr(0, e);
  }
  std::string prefix = file.string() + ": ";
  if (s.substr(0, prefix.size()) == prefix) s.remove_prefix(prefix.size());
  return one_line(std::string(s));
}

// Offset just past a member: a struct declared smaller than that lacks the member.
#define JH_END_OF(type, member) (offsetof(type, member) + sizeof(((type*)nullptr)->member))

// A declared schema, or null; a SchemaError names which one was bad.
std::shared_ptr<const ConfigSchema> declared_schema(const char* json, const char* which) {
  if (!json) return nullptr;
  try {
    return ConfigSchema::parse(json);
  } catch (const SchemaError& e) {
    throw SchemaError(std::string(which) + ": " + e.what());
  }
}
}  // namespace

void JobTypeRef::read_abi_1_1() {
  const jh_job_type* t = type;
  can_defer = JH_HAS(jh_job_type, t, poll) && t->poll != nullptr;
  can_cancel = can_defer && JH_HAS(jh_job_type, t, cancel) && t->cancel != nullptr;
  const uint32_t flags = JH_HAS(jh_job_type, t, flags) ? t->flags : 0;
  can_reattach = can_defer && (flags & JH_JOB_NO_REATTACH) == 0;
  if (JH_HAS(jh_job_type, t, doc)) doc = safe(t->doc);
  if (JH_HAS(jh_job_type, t, config_schema))
    config_schema = declared_schema(t->config_schema, "config_schema");
  if (JH_HAS(jh_job_type, t, outputs_schema))
    outputs_schema = declared_schema(t->outputs_schema, "outputs_schema");
}

PluginRegistry::PluginRegistry(PluginLoadOptions options) : options_(options) {}
PluginRegistry::~PluginRegistry() = default;

void PluginRegistry::refuse(const std::filesystem::path& file, std::string reason,
                            std::string plugin_name) {
  refused_.push_back({file.string(), std::move(reason), std::move(plugin_name)});
}

bool PluginRegistry::first_visit(const std::filesystem::path& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  return visited_.insert(ec ? path.lexically_normal() : canonical).second;
}

void PluginRegistry::load_path(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    refuse(path, "no such file or folder");
    return;
  }
  if (!first_visit(path)) return;
  if (!options_.allow_insecure_permissions) {
    if (auto why = insecure_permissions(path)) {
      refuse(path, *why);
      return;
    }
  }
  if (!std::filesystem::is_directory(path, ec)) {
    load_file(path);
    return;
  }
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
    if (looks_like_plugin_file(it->path())) files.push_back(it->path());
  if (ec) {
    refuse(path, "cannot list the plugin folder: " + ec.message());
    return;
  }
  std::sort(files.begin(), files.end());
  for (auto& f : files) {
    if (!first_visit(f)) continue;
    if (!options_.allow_insecure_permissions) {
      if (auto why = insecure_permissions(f)) {
        refuse(f, *why);
        continue;
      }
    }
    load_file(f);
  }
}

void PluginRegistry::load_file(const std::filesystem::path& file) {
  std::lock_guard lock(load_mutex());
#ifdef __ELF__
  if (!has_elf_header(file)) {
    refuse(file, "not a shared library: no ELF header");
    return;
  }
#endif
  boost::dll::shared_library lib;
  try {
    lib.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    refuse(file, "cannot be loaded: " + loader_reason(e.what(), file));
    return;
  }
  if (!lib.has(JH_PLUGIN_ENTRY_SYMBOL)) {
    refuse(file, "no '" JH_PLUGIN_ENTRY_SYMBOL "' symbol: not a jobhost plugin");
    return;
  }
  auto entry = lib.get<const jh_plugin*()>(JH_PLUGIN_ENTRY_SYMBOL);
  const jh_plugin* p = entry();
  if (!p) {
    refuse(file, JH_PLUGIN_ENTRY_SYMBOL "() returned NULL");
    return;
  }
  if (p->magic != JH_ABI_MAGIC) {
    std::ostringstream os;
    os << "wrong magic 0x" << std::hex << p->magic << " (expected 0x" << JH_ABI_MAGIC
       << "): not a jobhost plugin descriptor";
    refuse(file, os.str());
    return;
  }
  if (p->abi_major != JH_ABI_MAJOR) {
    refuse(file, "ABI major mismatch: plugin built for ABI " + std::to_string(p->abi_major) + "." +
                     std::to_string(p->abi_minor) + ", this host speaks ABI " +
                     std::to_string(JH_ABI_MAJOR) + "." + std::to_string(JH_ABI_MINOR));
    return;
  }
  if (p->struct_size < JH_END_OF(jh_plugin, get_extension)) {
    refuse(file, "descriptor too small: struct_size " + std::to_string(p->struct_size) +
                     " bytes, ABI 1.0 needs at least " +
                     std::to_string(JH_END_OF(jh_plugin, get_extension)));
    return;
  }
  std::string name = safe(p->name);
  if (!valid_name(name)) {
    refuse(file, "invalid plugin name '" + one_line(name) + "' (use letters, digits and _)");
    return;
  }
  // From here on refusals name the plugin: a pipeline using its job types says why.
  auto refuse_named = [&](std::string reason) { refuse(file, std::move(reason), name); };
  if (p->job_type_count > 0 && !p->job_types) {
    refuse_named("job_type_count is " + std::to_string(p->job_type_count) + " but job_types is NULL");
    return;
  }

  // Validate every job type before taking any, so a refused plugin leaves nothing behind.
  std::vector<JobTypeRef> types;
  for (uint32_t i = 0; i < p->job_type_count; ++i) {
    const jh_job_type* t = p->job_types[i];
    std::string which = "job type #" + std::to_string(i);
    if (!t) {
      refuse_named(which + " is NULL");
      return;
    }
    if (t->struct_size < JH_END_OF(jh_job_type, run)) {
      refuse_named(which + " is too small: struct_size " + std::to_string(t->struct_size) +
                       " bytes, ABI 1.0 needs at least " +
                       std::to_string(JH_END_OF(jh_job_type, run)));
      return;
    }
    if (!valid_name(safe(t->name))) {
      refuse_named(which + " has an invalid name '" + one_line(safe(t->name)) +
                       "' (use letters, digits and _)");
      return;
    }
    if (!t->run) {
      refuse_named("job type '" + name + "." + t->name + "' has no run function");
      return;
    }
    std::string qualified = name + "." + t->name;
    if (auto it = job_types_.find(qualified); it != job_types_.end()) {
      refuse_named("duplicate job type '" + qualified + "': already declared by " +
                       it->second.plugin_file);
      return;
    }
    if (std::any_of(types.begin(), types.end(), [&](auto& x) { return x.qualified_name == qualified; })) {
      refuse_named("job type '" + qualified + "' is declared twice in this plugin");
      return;
    }
    JobTypeRef ref;
    ref.qualified_name = qualified;
    ref.summary = safe(t->summary);
    ref.version = safe(t->version);
    ref.config_example = safe(t->config_example);
    ref.plugin_file = file.string();
    ref.type = t;
    try {
      ref.read_abi_1_1();
    } catch (const SchemaError& e) {
      refuse_named("job type '" + qualified + "' declares an invalid " + one_line(e.what()));
      return;
    }
    types.push_back(std::move(ref));
  }

  std::vector<ConnectionTypeRef> connection_types;
  if (auto why = read_connection_types(*p, name, file.string(), connection_types); !why.empty()) {
    refuse_named(why);
    return;
  }
  for (auto& c : connection_types) {
    if (auto it = connection_types_.find(c.name); it != connection_types_.end()) {
      refuse_named("duplicate connection type '" + c.name + "': already declared by " +
                   it->second.plugin_file);
      return;
    }
  }

  auto loaded = std::make_shared<LoadedLibrary>(std::move(lib), p);
  if (p->init) {
    char err[1024] = {0};
    int32_t rc = p->init(host_services_table(), err, sizeof(err));
    err[sizeof(err) - 1] = '\0';
    if (rc != 0) {
      refuse_named("plugin init failed (code " + std::to_string(rc) + "): " +
                       (err[0] ? one_line(err) : std::string("no message")));
      return;
    }
  }
  loaded->initialised_ = true;

  PluginInfo info{file.string(), name, safe(p->version), safe(p->description),
                  p->abi_major, p->abi_minor, {}, {}};
  for (auto& c : connection_types) {
    c.library = loaded;
    info.connection_types.push_back(c.name);
    connection_types_.emplace(c.name, std::move(c));
  }
  for (auto& t : types) {
    t.library = loaded;
    t.connection_types = info.connection_types;
    info.job_types.push_back(t.qualified_name);
    job_types_.emplace(t.qualified_name, std::move(t));
  }
  plugins_.push_back(std::move(info));
}

const JobTypeRef* PluginRegistry::find(std::string_view qualified_name) const {
  auto it = job_types_.find(qualified_name);
  return it == job_types_.end() ? nullptr : &it->second;
}

const ConnectionTypeRef* PluginRegistry::find_connection_type(std::string_view name) const {
  auto it = connection_types_.find(name);
  return it == connection_types_.end() ? nullptr : &it->second;
}

std::vector<std::string> PluginRegistry::job_type_names() const {
  std::vector<std::string> out;
  for (auto& [k, v] : job_types_) out.push_back(k);
  return out;
}

std::filesystem::path executable_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p;
}

std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::string>& cli_dirs, const std::vector<std::string>& host_config_dirs) {
  std::vector<std::filesystem::path> out;
  for (auto& d : cli_dirs) out.emplace_back(d);
  if (const char* env = std::getenv("JOBHOST_PLUGIN_PATH")) {
    std::string_view s(env);
    while (!s.empty()) {
      auto pos = s.find(':');
      auto part = s.substr(0, pos);
      if (!part.empty()) out.emplace_back(std::string(part));
      if (pos == std::string_view::npos) break;
      s.remove_prefix(pos + 1);
    }
  }
  for (auto& d : host_config_dirs) out.emplace_back(d);
  auto exe = executable_path();
  if (!exe.empty()) {
    auto def = exe.parent_path() / ".." / "lib" / "jobhost" / "plugins";
    std::error_code ec;
    if (std::filesystem::exists(def, ec)) out.push_back(std::filesystem::weakly_canonical(def, ec));
  }
  return out;
}

}  // namespace jobhost
