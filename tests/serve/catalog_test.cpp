// The daemon's pipeline folder: added, changed, removed and broken files; a broken file keeps
// its last valid version; two files with one pipeline name.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

#include "plugins/plugin_registry.hpp"
#include "serve/catalog.hpp"
#include "support.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

std::string pipeline(const std::string& name, const std::string& job = "a") {
  return "[pipeline]\nname = \"" + name + "\"\n[[jobs]]\nname = \"" + job + "\"\nuses = \"utilities.noop\"\n";
}

// Rewrites a file with a modification time that differs from the last one.
void rewrite(const std::string& path, const std::string& text) {
  auto before = std::filesystem::exists(path) ? std::filesystem::last_write_time(path)
                                              : std::filesystem::file_time_type::min();
  write_file(path, text);
  std::filesystem::last_write_time(path, before + std::chrono::seconds(2));
}

}  // namespace

TEST_CASE("catalog: loads, reloads changes, keeps the last valid version and drops removed files") {
  TempDir dir;
  PluginRegistry plugins;
  plugins.load_path(JOBHOST_TEST_PLUGIN_DIR);
  serve::Catalog catalog(dir.path, plugins);
  rewrite(dir.str("a.toml"), pipeline("alpha"));
  rewrite(dir.str("notes.txt"), "not a pipeline");
  auto r = catalog.reload();
  CHECK(r.added == std::vector<std::string>{"alpha"});
  REQUIRE(catalog.entries().size() == 1);

  CHECK_FALSE(catalog.reload().any());  // unchanged

  rewrite(dir.str("a.toml"), pipeline("alpha", "b"));
  r = catalog.reload();
  CHECK(r.changed == std::vector<std::string>{"alpha"});
  CHECK(catalog.find("alpha")->jobs[0].name == "b");

  rewrite(dir.str("a.toml"), "[pipeline]\nname = \"alpha\"\n[[jobs]]\nname = \"b\"\nuses = \"utilities.nope\"\n");
  r = catalog.reload();
  REQUIRE(r.invalid.size() == 1);
  CHECK(r.invalid[0].find("a.toml:3:") != std::string::npos);  // the [[jobs]] entry
  CHECK(r.invalid[0].find("unknown job type 'utilities.nope'") != std::string::npos);
  auto entries = catalog.entries();
  REQUIRE(entries.size() == 1);
  CHECK_FALSE(entries[0].error.empty());
  REQUIRE(entries[0].spec);  // the last valid version stays
  CHECK(entries[0].spec->jobs[0].name == "b");

  std::filesystem::remove(dir.str("a.toml"));
  r = catalog.reload();
  CHECK(r.removed == std::vector<std::string>{"alpha"});
  CHECK(catalog.entries().empty());
  CHECK_FALSE(catalog.find("alpha"));
}

TEST_CASE("catalog: a second file with the same pipeline name is refused") {
  TempDir dir;
  PluginRegistry plugins;
  plugins.load_path(JOBHOST_TEST_PLUGIN_DIR);
  serve::Catalog catalog(dir.path, plugins);
  rewrite(dir.str("a.toml"), pipeline("alpha"));
  rewrite(dir.str("b.toml"), pipeline("alpha"));
  auto r = catalog.reload();
  REQUIRE(r.invalid.size() == 1);
  CHECK(r.invalid[0].find("b.toml") != std::string::npos);
  CHECK(r.invalid[0].find("also defined in") != std::string::npos);
  CHECK(catalog.find("alpha"));
  std::filesystem::remove(dir.str("a.toml"));
  catalog.reload();
  CHECK(catalog.find("alpha"));  // b.toml takes over
}
