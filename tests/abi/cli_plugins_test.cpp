// `jobhost plugins [--json]`: what it lists and its exit code (0 all loaded, 2 something
// refused), run as a separate process like a user would.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <sys/stat.h>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;
namespace json = boost::json;

namespace {

// The built jobhost, linked into a private bin/ folder: the host also loads
// <exe dir>/../lib/jobhost/plugins, and here that folder must not exist, so the test sees
// exactly the plugins it put in --plugin-path.
struct Cli {
  TempDir root;
  std::filesystem::path exe = root.path / "bin" / "jobhost";
  Cli() {
    std::filesystem::create_directories(exe.parent_path());
    std::error_code ec;
    std::filesystem::create_hard_link(JOBHOST_TEST_BIN_DIR "/jobhost", exe, ec);
    if (ec) std::filesystem::copy_file(JOBHOST_TEST_BIN_DIR "/jobhost", exe);
  }
  // Runs `jobhost plugins <args>`; stderr goes to `err` when given.
  CommandResult plugins(const std::string& args, std::string* err = nullptr) {
    auto err_file = root.path / "stderr.txt";
    auto r = run_command("JOBHOST_PLUGIN_PATH= " + quoted(exe) + " plugins " + args + " 2>" +
                         quoted(err_file));
    if (err) *err = read_file(err_file);
    return r;
  }
};

}  // namespace

TEST_CASE("abi cli: plugins --json lists plugins and job types, exit 0", "[abi][cli]") {
  Cli cli;
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "sdk_plugin"});
  auto r = cli.plugins("--plugin-path " + quoted(d.path) + " --json");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  auto doc = json::parse(r.out).as_object();
  CHECK(doc.at("refused").as_array().empty());
  auto& plugins = doc.at("plugins").as_array();
  REQUIRE(plugins.size() == 2);
  auto& c = plugins[0].as_object();
  CHECK(c.at("file").as_string() == (d.path / "c_plugin.so").string());
  CHECK(c.at("name").as_string() == "cfix");
  CHECK(c.at("version").as_string() == "1.2.3");
  CHECK(c.at("abi").as_string() == "1.0");
  auto& types = c.at("job_types").as_array();
  REQUIRE(types.size() == 3);
  CHECK(types[0].at("name").as_string() == "cfix.everything");
  CHECK(types[0].at("summary").as_string() == "Uses every host service");
  CHECK(types[1].at("name").as_string() == "cfix.fail");
  CHECK(plugins[1].at("name").as_string() == "sdkfix");
  CHECK(plugins[1].at("job_types").as_array().size() == 10);
}

TEST_CASE("abi cli: plugins --json reports refused files, exit 2", "[abi][cli]") {
  Cli cli;
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "abi_major"});
  write_file(d.path / "bad.so", "text");
  auto r = cli.plugins("--plugin-path " + quoted(d.path) + " --json");
  INFO(r.out);
  CHECK(r.exit_code == 2);
  auto doc = json::parse(r.out).as_object();
  REQUIRE(doc.at("plugins").as_array().size() == 1);
  CHECK(doc.at("plugins").as_array()[0].at("name").as_string() == "cfix");
  auto& refused = doc.at("refused").as_array();
  REQUIRE(refused.size() == 2);
  CHECK(refused[0].at("file").as_string() == (d.path / "abi_major.so").string());
  CHECK(refused[0].at("reason").as_string() ==
        "ABI major mismatch: plugin built for ABI 2.3, this host speaks ABI 1.1");
  CHECK(refused[1].at("file").as_string() == (d.path / "bad.so").string());
  CHECK(refused[1].at("reason").as_string() == "not a shared library: no ELF header");
}

TEST_CASE("abi cli: plugins prints one line per refused file on stderr", "[abi][cli]") {
  Cli cli;
  TempDir d;
  add_fixtures(d.path, {"c_plugin", "no_entry", "init_fail"});
  std::string err;
  auto r = cli.plugins("--plugin-path " + quoted(d.path), &err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::StartsWith("cfix 1.2.3  (ABI 1.0)  " + (d.path / "c_plugin.so").string()));
  CHECK_THAT(r.out, Catch::Contains("  cfix.everything  Uses every host service\n"));
  CHECK(err == "refused: " + (d.path / "init_fail.so").string() +
                   ": plugin init failed (code 17): license file /etc/jobhost/vendor.lic not found\n"
                   "refused: " + (d.path / "no_entry.so").string() +
                   ": no 'jobhost_plugin_entry' symbol: not a jobhost plugin\n");
}

TEST_CASE("abi cli: --allow-insecure-plugins loads a folder others can write", "[abi][cli]") {
  Cli cli;
  TempDir d;
  add_fixtures(d.path, {"c_plugin"});
  ::chmod(d.path.c_str(), 0777);
  auto strict = cli.plugins("--plugin-path " + quoted(d.path) + " --json");
  CHECK(strict.exit_code == 2);
  CHECK(json::parse(strict.out).at("plugins").as_array().empty());
  auto dev = cli.plugins("--plugin-path " + quoted(d.path) + " --json --allow-insecure-plugins");
  CHECK(dev.exit_code == 0);
  CHECK(json::parse(dev.out).at("plugins").as_array().size() == 1);
}

TEST_CASE("abi cli: plugins with a folder given twice lists it once, exit 0", "[abi][cli]") {
  Cli cli;
  TempDir d;
  add_fixtures(d.path, {"c_plugin"});
  auto r = cli.plugins("--plugin-path " + quoted(d.path) + " --plugin-path " +
                       quoted(d.path / ".") + " --json");
  CHECK(r.exit_code == 0);
  CHECK(json::parse(r.out).at("plugins").as_array().size() == 1);
}
