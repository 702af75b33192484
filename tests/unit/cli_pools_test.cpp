// [pools] in the host config and `pool` / `pool_slots` in pipelines, through the CLI.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include "cli_support.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

// Two independent shell jobs in pool `pool`; each notes in overlap.txt when it finds the
// other one inside (mkdir is atomic), then works for a while.
std::string pooled_pipeline(const std::string& pool) {
  std::string t = "[pipeline]\nname = \"pooled\"\nmax_parallel = 2\n";
  for (const char* name : {"a", "b"})
    t += std::string("[[jobs]]\nname = \"") + name + "\"\nuses = \"utilities.shell\"\npool = \"" + pool +
         "\"\n[jobs.config]\ncommand = \"mkdir inside || echo " + name +
         " >> overlap.txt; sleep 0.3; rmdir inside\"\n";
  return t;
}

struct Attempt {
  std::string started, ended;
};

Attempt only_attempt(const TempDir& dir, const std::string& job) {
  auto r = run_cli("history " + job + " --pipeline pooled --json", dir);
  REQUIRE(r.exit_code == 0);
  auto attempts = json::parse(r.out).at("attempts").as_array();
  REQUIRE(attempts.size() == 1);
  return {std::string(attempts[0].at("started_at").as_string()),
          std::string(attempts[0].at("ended_at").as_string())};
}

}  // namespace

TEST_CASE("cli pools: a pool of one slot runs two parallel jobs one after the other", "[cli][pools]") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), "[pools]\nwarehouse = 1\ndatabricks = 10\n");
  write_file(dir.str("p.toml"), pooled_pipeline("warehouse"));
  auto r = run_cli("run p.toml --date 2026-11-28", dir);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(dir.str("overlap.txt")).empty());
  const Attempt a = only_attempt(dir, "a"), b = only_attempt(dir, "b");
  // ISO-8601 UTC with milliseconds: text order is time order.
  CHECK((a.ended <= b.started || b.ended <= a.started));
}

TEST_CASE("cli pools: an unknown pool, or more slots than the pool has, is a validate error naming file:line", "[cli][pools]") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), "[pools]\nwarehouse = 2\ndatabricks = 10\n");
  write_file(dir.str("p.toml"), pooled_pipeline("warehous"));
  auto r = run_cli("validate p.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("p.toml:7:8: error: job 'a' uses pool 'warehous', which the host config "
                                    "jobhost.toml does not define (did you mean 'warehouse'?); configured pools: "
                                    "warehouse (2), databricks (10)"));
  CHECK_THAT(r.err, Catch::Contains("p.toml:13:8: error: job 'b' uses pool 'warehous'"));
  CHECK(run_cli("run p.toml --date 2026-11-28", dir).exit_code == 2);

  write_file(dir.str("p.toml"), "[pipeline]\nname = \"big\"\n[[jobs]]\nname = \"a\"\nuses = \"utilities.noop\"\n"
                                "pool = \"warehouse\"\npool_slots = 3\n");
  r = run_cli("validate p.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("p.toml:6:8: error: job 'a' takes 3 slots of pool 'warehouse', which has 2"));

  write_file(dir.str("p.toml"), "[pipeline]\nname = \"slots\"\n[[jobs]]\nname = \"a\"\nuses = \"utilities.noop\"\n"
                                "pool_slots = 1\n");
  r = run_cli("validate p.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("p.toml:6:14: error: pool_slots needs pool"));
}

TEST_CASE("cli pools: without [pools] a job's pool is an error that says where pools are defined", "[cli][pools]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pooled_pipeline("warehouse"));
  auto r = run_cli("validate p.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("p.toml:7:8: error: job 'a' uses pool 'warehouse', which is not defined: "
                                    "no pools are configured"));

  write_file(dir.str("jobhost.toml"), "[pools]\nwarehouse = 0\n\"bad name\" = 1\n");
  r = run_cli("validate p.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("jobhost.toml:2:13: error: pools.warehouse must be a number of slots from 1 to 1000000"));
  CHECK_THAT(r.err, Catch::Contains("pool name 'bad name' must match"));
}
