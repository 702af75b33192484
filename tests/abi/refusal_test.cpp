// Plugins the host must refuse, each with one line naming the file and the reason, while
// every other plugin in the same folder still loads.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

// Loads `dir` and returns the one refusal; the good plugin (cfix) must have loaded.
RefusedPlugin only_refusal(const std::filesystem::path& dir, PluginLoadOptions options = {}) {
  PluginRegistry reg(options);
  reg.load_path(dir);
  CHECK(reg.find("cfix.everything") != nullptr);
  REQUIRE(reg.refused().size() == 1);
  auto r = reg.refused()[0];
  CHECK(r.reason.find('\n') == std::string::npos);  // one line
  return r;
}

std::string in(const TempDir& d, const std::string& file) { return (d.path / file).string(); }

}  // namespace

TEST_CASE("abi refusal: a text file named .so", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin"});
  write_file(d.path / "bad.so", "this is not an ELF file\n");
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "bad.so"));
  CHECK(r.reason == "not a shared library: no ELF header");
}

TEST_CASE("abi refusal: a shared library whose dependency is missing", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "missing_dep"});
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "missing_dep.so"));
  // The dynamic loader's reason, without the file name (the line already has it).
  CHECK(r.reason == "cannot be loaded: libjobhost_fixture_dep.so: cannot open shared object "
                    "file: No such file or directory");
}

TEST_CASE("abi refusal: a shared library without the entry symbol", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "no_entry"});
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "no_entry.so"));
  CHECK(r.reason == "no 'jobhost_plugin_entry' symbol: not a jobhost plugin");
}

TEST_CASE("abi refusal: a descriptor with the wrong magic", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "wrong_magic"});
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "wrong_magic.so"));
  CHECK(r.reason == "wrong magic 0xdeadbeef (expected 0x3148424a): not a jobhost plugin descriptor");
}

TEST_CASE("abi refusal: an ABI major the host does not speak names both versions",
          "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "abi_major"});
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "abi_major.so"));
  CHECK(r.reason == "ABI major mismatch: plugin built for ABI 2.3, this host speaks ABI 1.1");
}

TEST_CASE("abi refusal: a descriptor smaller than ABI 1.0's", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "too_small"});
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "too_small.so"));
  CHECK(r.reason == "descriptor too small: struct_size 24 bytes, ABI 1.0 needs at least 80");
}

TEST_CASE("abi refusal: two files declaring the same job type name both files", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "dup_a", "dup_b"});
  PluginRegistry reg;
  reg.load_path(d.path);
  REQUIRE(reg.refused().size() == 1);
  CHECK(reg.refused()[0].file == in(d, "dup_b.so"));
  CHECK(reg.refused()[0].reason ==
        "duplicate job type 'dup.same': already declared by " + in(d, "dup_a.so"));
  // The first file (in name order) keeps the job type; the other plugins are untouched.
  auto* same = reg.find("dup.same");
  REQUIRE(same);
  CHECK(same->plugin_file == in(d, "dup_a.so"));
  CHECK(run_type(*same).outputs.at("variant") == "a");
  CHECK(reg.find("cfix.everything"));
  CHECK(reg.plugins().size() == 2);
}

TEST_CASE("abi refusal: a plugin whose init fails shows its message", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "init_fail"});
  PluginRegistry reg;
  reg.load_path(d.path);
  REQUIRE(reg.refused().size() == 1);
  CHECK(reg.refused()[0].file == in(d, "init_fail.so"));
  CHECK(reg.refused()[0].reason ==
        "plugin init failed (code 17): license file /etc/jobhost/vendor.lic not found");
  CHECK(reg.find("init_fail.never") == nullptr);  // nothing of it is left behind
  CHECK(reg.plugins().size() == 1);
}

TEST_CASE("abi refusal: an entry returning NULL, a job type with an unusable name",
          "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "null_entry"});
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "null_entry.so"));
  CHECK(r.reason == "jobhost_plugin_entry() returned NULL");

  TempDir e;
  add_fixtures(e.path, {"c_plugin", "bad_job_type"});
  r = only_refusal(e.path);
  CHECK(r.file == in(e, "bad_job_type.so"));
  CHECK(r.reason == "job type #1 has an invalid name 'load-csv' (use letters, digits and _)");
}

TEST_CASE("abi compatibility: a plugin built for a newer minor loads and runs",
          "[abi][refusal][compat]") {
  TempDir d;
  add_fixtures(d.path, {"future_minor"});
  PluginRegistry reg;
  reg.load_path(d.path);
  REQUIRE(reg.refused().empty());
  REQUIRE(reg.plugins().size() == 1);
  CHECK(reg.plugins()[0].abi_major == 1);
  CHECK(reg.plugins()[0].abi_minor == 9);
  auto* t = reg.find("future.run");
  REQUIRE(t);
  CHECK(t->summary == "From ABI 1.9");
  auto r = run_type(*t);
  CHECK(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("extra") == "future");
}

TEST_CASE("abi refusal: every bad file in one folder, the good ones still load", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"abi_major", "bad_job_type", "c_plugin", "dup_a", "dup_b", "future_minor",
                        "init_fail", "lifecycle", "missing_dep", "no_entry", "null_entry",
                        "sdk_plugin", "too_small", "wrong_magic"});
  write_file(d.path / "bad.so", "text");
  write_file(d.path / "README.txt", "not a plugin file name: ignored");
  PluginRegistry reg;
  reg.load_path(d.path);
  std::vector<std::string> refused;
  for (auto& r : reg.refused()) refused.push_back(std::filesystem::path(r.file).filename());
  CHECK(refused == std::vector<std::string>{"abi_major.so", "bad.so", "bad_job_type.so",
                                            "dup_b.so", "init_fail.so", "missing_dep.so",
                                            "no_entry.so", "null_entry.so", "too_small.so",
                                            "wrong_magic.so"});
  std::vector<std::string> loaded;
  for (auto& p : reg.plugins()) loaded.push_back(p.name);
  CHECK(loaded == std::vector<std::string>{"cfix", "dup", "future", "lifecycle", "sdkfix"});
  CHECK(run_type(*reg.find("sdkfix.status_fatal")).error == "x");
}

TEST_CASE("abi refusal: a missing path is refused, not fatal", "[abi][refusal]") {
  TempDir d;
  PluginRegistry reg;
  reg.load_path(d.path / "nowhere");
  REQUIRE(reg.refused().size() == 1);
  CHECK(reg.refused()[0].file == in(d, "nowhere"));
  CHECK(reg.refused()[0].reason == "no such file or folder");
}

TEST_CASE("abi refusal: the same folder or file given twice loads once", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin"});
  PluginRegistry reg;
  reg.load_path(d.path);
  reg.load_path(d.path / "." / "");
  reg.load_path(d.path / "c_plugin.so");
  CHECK(reg.refused().empty());
  CHECK(reg.plugins().size() == 1);
}

TEST_CASE("abi refusal: a folder writable by others refuses everything in it", "[abi][refusal]") {
  TempDir open_dir, safe_dir;
  add_fixtures(open_dir.path, {"sdk_plugin"});
  add_fixtures(safe_dir.path, {"c_plugin"});
  ::chmod(open_dir.path.c_str(), 0757);  // o+w
  PluginRegistry reg;
  reg.load_path(open_dir.path);
  reg.load_path(safe_dir.path);
  REQUIRE(reg.refused().size() == 1);
  CHECK(reg.refused()[0].file == open_dir.path.string());
  CHECK(reg.refused()[0].reason ==
        "plugin folder '" + open_dir.path.string() +
            "' is writable by all users (chmod go-w it, or pass --allow-insecure-plugins for "
            "development)");
  CHECK(reg.find("sdkfix.boom") == nullptr);
  CHECK(reg.find("cfix.everything") != nullptr);  // another folder still loads

  // Loading one file of that folder directly is refused for the same reason.
  PluginRegistry one;
  one.load_path(open_dir.path / "sdk_plugin.so");
  REQUIRE(one.refused().size() == 1);
  CHECK_THAT(one.refused()[0].reason, Catch::Contains("is writable by all users"));

  // The development opt-out.
  PluginRegistry dev(PluginLoadOptions{.allow_insecure_permissions = true});
  dev.load_path(open_dir.path);
  CHECK(dev.refused().empty());
  CHECK(dev.find("sdkfix.boom") != nullptr);
}

TEST_CASE("abi refusal: a plugin file writable by its group", "[abi][refusal]") {
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "sdk_plugin"});
  ::chmod((d.path / "sdk_plugin.so").c_str(), 0775);  // g+w
  auto r = only_refusal(d.path);
  CHECK(r.file == in(d, "sdk_plugin.so"));
  CHECK(r.reason == "plugin file '" + in(d, "sdk_plugin.so") +
                        "' is writable by its group (chmod go-w it, or pass "
                        "--allow-insecure-plugins for development)");

  PluginRegistry dev(PluginLoadOptions{.allow_insecure_permissions = true});
  dev.load_path(d.path);
  CHECK(dev.refused().empty());
  CHECK(dev.find("sdkfix.boom") != nullptr);
}
