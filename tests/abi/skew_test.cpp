// ABI skew between minors, in both directions, with fixtures compiled against the frozen ABI 1.0
// header (tests/fixtures/abi_1_0):
//  - plugins built for 1.0 load on this 1.1 host and behave as before (see also c_plugin_test,
//    whose fixture is one of them);
//  - a 1.1 plugin in a 1.0 host (old_host) keeps working: a deferrable job type sees no defer()
//    and waits inside run(), polling, without the 1.1 facts.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;

TEST_CASE("abi skew: a 1.1 deferrable plugin in a 1.0 host waits inside run()", "[abi][skew]") {
  TempDir dir;
  auto r = run_command(std::string(JOBHOST_OLD_HOST) + " " + quoted(fixture_file("deferral")) +
                       " defer.remote polls=3 delay_ms=5 starts_file=" + dir.str("starts.txt"));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("abi 1.1\n"));
  CHECK_THAT(r.out, Catch::Contains("output polls=3\n"));       // the SDK counted its own polls
  CHECK_THAT(r.out, Catch::Contains("output handle=job:1\n"));  // handles replaced as on 1.1
  CHECK_THAT(r.out, Catch::Contains("output key=\n"));          // no idempotency key on 1.0
  CHECK_THAT(r.out, Catch::Contains("output reattached=no\n"));
  CHECK_THAT(r.out, Catch::EndsWith("status 0\n"));
  CHECK(read_file(dir.str("starts.txt")) == "job \n");  // started once, keyless

  // A failure found by a poll is still the job's failure.
  r = run_command(std::string(JOBHOST_OLD_HOST) + " " + quoted(fixture_file("deferral")) +
                  " defer.remote polls=3 delay_ms=1 fatal_at_poll=2");
  CHECK_THAT(r.out, Catch::Contains("error remote run rejected\n") && Catch::EndsWith("status 2\n"));
  // A plain 1.1 job type needs nothing of 1.1 at all.
  r = run_command(std::string(JOBHOST_OLD_HOST) + " " + quoted(fixture_file("sdk_plugin")) +
                  " sdkfix.status_retry");
  CHECK_THAT(r.out, Catch::Contains("error server busy\n") && Catch::EndsWith("status 1\n"));
}

TEST_CASE("abi skew: a plugin built for 1.0 loads on this host as a 1.0 plugin", "[abi][skew]") {
  TempDir dir;
  add_fixtures(dir.path, {"c_plugin"});
  PluginRegistry reg;
  reg.load_path(dir.path);
  REQUIRE(reg.refused().empty());
  REQUIRE(reg.plugins().size() == 1);
  CHECK(reg.plugins()[0].abi_minor == 0);
  const JobTypeRef* t = reg.find("cfix.everything");
  REQUIRE(t);
  // Nothing beyond its 1.0 struct_size is read: no poll, no schema, no doc.
  CHECK(t->type->struct_size == 56);
  CHECK_FALSE(t->can_defer);
  CHECK_FALSE(t->config_schema);
  CHECK(t->doc.empty());
  // And it runs: the 1.1 host hands it a larger run info and host table, which it ignores.
  auto r = run_type(*reg.find("cfix.fail"));
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "upstream returned HTTP 503");
}
