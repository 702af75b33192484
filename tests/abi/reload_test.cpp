// Load, run and unload the same plugin 100 times: every cycle really unmaps the library,
// calls its shutdown, and leaves the process's mappings as they were.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <set>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

// Number of /proc/self/maps lines naming a file under `dir`, and of distinct mapped files.
struct Maps {
  size_t lines_in_dir = 0;
  size_t files = 0;
};
Maps mapped(const std::filesystem::path& dir) {
  Maps m;
  std::istringstream in(read_file("/proc/self/maps"));
  std::set<std::string> files;
  for (std::string line; std::getline(in, line);) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string file = line.substr(slash);
    files.insert(file);
    if (file.rfind(dir.string() + "/", 0) == 0) ++m.lines_in_dir;
  }
  m.files = files.size();
  return m;
}

size_t count_lines(const std::string& text, const std::string& line) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) n += l == line;
  return n;
}

// One cycle: load the folder, run `type`, check it ran on a freshly mapped copy, unload.
void cycle(const std::filesystem::path& dir, const std::string& type, const std::string& key,
           const std::string& expected) {
  PluginRegistry reg;
  reg.load_path(dir);
  REQUIRE(reg.refused().empty());
  auto* t = reg.find(type);
  REQUIRE(t);
  auto r = run_type(*t);
  REQUIRE(r.status == JH_STATUS_OK);
  REQUIRE(r.outputs.at(key) == expected);
}

}  // namespace

TEST_CASE("abi reload: a C plugin 100 times, shutdown each time, no mapping left", "[abi][reload]") {
  TempDir d, logs;
  add_fixtures(d.path, {"lifecycle"});
  auto log = logs.path / "lifecycle.log";
  ::setenv("JOBHOST_TEST_LIFECYCLE_LOG", log.c_str(), 1);

  cycle(d.path, "lifecycle.tick", "ticks", "1");  // warm-up: the loader's own first-use costs
  const Maps baseline = mapped(d.path);
  CHECK(baseline.lines_in_dir == 0);

  for (int i = 0; i < 100; ++i) {
    // "1" every time: the statics of the previous copy are gone, so it was really unmapped.
    cycle(d.path, "lifecycle.tick", "ticks", "1");
  }
  const Maps after = mapped(d.path);
  CHECK(after.lines_in_dir == 0);
  CHECK(after.files == baseline.files);

  auto text = read_file(log);
  CHECK(count_lines(text, "init") == 101);
  CHECK(count_lines(text, "shutdown") == 101);
  ::unsetenv("JOBHOST_TEST_LIFECYCLE_LOG");
}

TEST_CASE("abi reload: a job type kept alive keeps its library mapped", "[abi][reload]") {
  TempDir d, logs;
  add_fixtures(d.path, {"lifecycle"});
  auto log = logs.path / "lifecycle.log";
  ::setenv("JOBHOST_TEST_LIFECYCLE_LOG", log.c_str(), 1);
  std::optional<JobTypeRef> kept;
  {
    PluginRegistry reg;
    reg.load_path(d.path);
    kept = *reg.find("lifecycle.tick");
  }
  // The registry is gone but the copied reference still runs the same mapped library.
  CHECK(read_file(log) == "init\n");
  CHECK(mapped(d.path).lines_in_dir > 0);
  CHECK(run_type(*kept).outputs.at("ticks") == "1");
  CHECK(run_type(*kept).outputs.at("ticks") == "2");
  kept.reset();
  CHECK(read_file(log) == "init\nshutdown\n");
  CHECK(mapped(d.path).lines_in_dir == 0);
  ::unsetenv("JOBHOST_TEST_LIFECYCLE_LOG");
}

TEST_CASE("abi reload: a C++ SDK plugin 100 times, no mapping left", "[abi][reload]") {
  TempDir d;
  add_fixtures(d.path, {"sdk_plugin"});
  auto run_once = [&] {
    PluginRegistry reg;
    reg.load_path(d.path);
    REQUIRE(reg.refused().empty());
    auto r = run_type(*reg.find("sdkfix.boom"));  // an exception thrown and caught each time
    REQUIRE(r.error == "boom");
  };
  run_once();
  const Maps baseline = mapped(d.path);
  CHECK(baseline.lines_in_dir == 0);  // C++ plugins unload too (no STB_GNU_UNIQUE pinning)
  for (int i = 0; i < 100; ++i) run_once();
  const Maps after = mapped(d.path);
  CHECK(after.lines_in_dir == 0);
  CHECK(after.files == baseline.files);
}
