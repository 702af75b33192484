// A plugin built by clang++ with a static, hidden libc++ (tests/fixtures/libcxx_plugin) runs
// inside this g++/libstdc++ host: neither C++ runtime leaks into the other.
#include <catch2/catch.hpp>

#include <algorithm>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

bool maps_mention(const std::string& needle) {
  return read_file("/proc/self/maps").find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("abi libc++ plugin: std::string, std::map, std::regex and its own exceptions",
          "[abi][libcxx]") {
  TempDir d;
  add_fixtures(d.path, {"libcxx_plugin", "c_plugin"});
  PluginRegistry reg;
  reg.load_path(d.path);
  REQUIRE(reg.refused().empty());
  auto* parse = reg.find("libcxx.parse");
  REQUIRE(parse);

  // The libc++ runtime is inside the plugin: no libc++ shared object was mapped for it.
  CHECK_FALSE(maps_mention("libc++"));

  auto r = run_type(*parse, "text = 'b=2 a=1 c=x d=4'");
  INFO(r.error);
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("keys") == "a,b,d");      // std::map order
  CHECK(r.metrics.at("sum") == 7);
  CHECK(r.metrics.at("bad") == 1);             // std::invalid_argument thrown and caught inside
  CHECK_THAT(r.outputs.at("stdlib"), Catch::StartsWith("libc++ "));

  // A libc++ exception reaching the SDK boundary (compiled into the plugin) becomes a
  // retryable failure with its message; the host's libstdc++ never sees it.
  r = run_type(*reg.find("libcxx.throw_out"));
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "thrown by libc++");

  // A typed-config mistake is thrown as jobhost::FatalError inside libc++ and caught there.
  r = run_type(*parse, "text = 5");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "config: 'text' has the wrong type");

  // The host's own exceptions still work after the plugin's ran.
  CHECK_THROWS_WITH(throw std::runtime_error("host"), "host");
}

TEST_CASE("abi libc++ plugin: exports only the entry symbol and needs no libc++.so",
          "[abi][libcxx]") {
  auto file = quoted(fixture_file("libcxx_plugin"));
  auto syms = run_command("nm -D --defined-only " + file);
  REQUIRE(syms.exit_code == 0);
  CHECK(syms.out.find(" T jobhost_plugin_entry\n") != std::string::npos);
  CHECK(std::count(syms.out.begin(), syms.out.end(), '\n') == 1);
  auto needed = run_command("readelf -d " + file);
  REQUIRE(needed.exit_code == 0);
  CHECK(needed.out.find("libc++") == std::string::npos);
  CHECK(needed.out.find("libstdc++") == std::string::npos);
}
