#include <catch2/catch.hpp>

#include <cstdlib>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;

TEST_CASE("sdk hooks: init runs before jobs and shutdown runs on unload", "[abi][sdk]") {
  TempDir dir;
  add_fixtures(dir.path, {"sdk_hooks"});
  std::string marker = dir.str("shutdown.txt");
  ::setenv("JOBHOST_TEST_HOOKS_MARKER", marker.c_str(), 1);
  ::unsetenv("JOBHOST_TEST_HOOKS_FAIL");
  {
    PluginRegistry reg;
    reg.load_path(dir.path);
    REQUIRE(reg.refused().empty());
    auto* type = reg.find("sdk_hooks.ready");
    REQUIRE(type);
    AttemptInput in;
    in.run_id = "r";
    in.job_name = "j";
    auto r = run_attempt(*type, in);
    CHECK(r.status == JH_STATUS_OK);
    CHECK_FALSE(std::filesystem::exists(marker));
  }
  CHECK(read_file(marker) == "shutdown\n");
}

TEST_CASE("sdk hooks: an init that fails refuses the plugin with its message", "[abi][sdk]") {
  TempDir dir;
  add_fixtures(dir.path, {"sdk_hooks"});
  ::setenv("JOBHOST_TEST_HOOKS_FAIL", "1", 1);
  PluginRegistry reg;
  reg.load_path(dir.path);
  ::unsetenv("JOBHOST_TEST_HOOKS_FAIL");
  REQUIRE(reg.refused().size() == 1);
  CHECK_THAT(reg.refused()[0].reason, Catch::Contains("hooks: refused by the test"));
  CHECK(reg.find("sdk_hooks.ready") == nullptr);
}
