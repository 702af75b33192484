// The fluent C++ API refuses pipelines that cannot run, with messages naming the pipeline and
// the job: cycles, unknown or self dependencies, duplicate names, bad config TOML, unknown
// trigger rules and job types, bad dates and params.
#include <catch2/catch.hpp>
#include <jobhost/pipeline.hpp>

#include <atomic>
#include <fstream>
#include <string>

#include "support.hpp"

using jobhost::Context;
using jobhost::Pipeline;
using jobhost::PipelineError;
using jobhost::Status;
using Catch::Matchers::Contains;

namespace {

Status ok_job(Context&) { return Status::ok(); }

// The message of the PipelineError that `fn` throws; fails the test when it throws nothing.
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const PipelineError& e) {
    return e.what();
  }
  FAIL("no PipelineError was thrown");
  return {};
}

}  // namespace

TEST_CASE("api: a dependency cycle is an error naming the jobs on it in order", "[api][errors]") {
  Pipeline p("cyclic");
  p.add_job("start", ok_job)
      .add_job("a", ok_job, {.depends_on = {"start", "c"}})
      .add_job("b", ok_job, {.depends_on = {"a"}})
      .add_job("c", ok_job, {.depends_on = {"b"}});
  std::string msg = error_of([&] { p.validate(); });
  CHECK_THAT(msg, Contains("pipeline 'cyclic'"));
  CHECK_THAT(msg, Contains("dependency cycle"));
  // Whichever job the cycle is reported from, it lists all three in run order (b runs after
  // a, c after b, a after c), as the loader does for pipeline files.
  bool ordered = msg.find("a -> b -> c -> a") != std::string::npos ||
                 msg.find("b -> c -> a -> b") != std::string::npos ||
                 msg.find("c -> a -> b -> c") != std::string::npos;
  CHECK(ordered);
  CHECK_THAT(error_of([&] { p.run(); }), Contains("dependency cycle"));
}

TEST_CASE("api: unknown, self and repeated dependencies are errors naming the job", "[api][errors]") {
  Pipeline p("deps");
  p.add_job("ingest", ok_job)
      .add_job("process", ok_job, {.depends_on = {"ingset"}})
      .add_job("selfish", ok_job, {.depends_on = {"selfish"}})
      .add_job("twice", ok_job, {.depends_on = {"ingest", "ingest"}});
  try {
    p.validate();
    FAIL("validate() accepted unknown dependencies");
  } catch (const PipelineError& e) {
    // Every problem, not just the first.
    REQUIRE(e.messages().size() == 3);
    std::string msg = e.what();
    CHECK_THAT(msg, Contains("pipeline 'deps': job 'process' depends on unknown job 'ingset' "
                             "(did you mean 'ingest'?)"));
    CHECK_THAT(msg, Contains("job 'selfish' depends on itself"));
    CHECK_THAT(msg, Contains("job 'twice' lists dependency 'ingest' twice"));
  }
}

TEST_CASE("api: a duplicate job name is refused when it is added", "[api][errors]") {
  Pipeline p("dupes");
  p.add_job("load", ok_job);
  CHECK_THAT(error_of([&] { p.add_job("load", "utilities.noop"); }),
             Contains("pipeline 'dupes': duplicate job name 'load'"));
  CHECK_THAT(error_of([&] { p.add_job("load", ok_job); }), Contains("duplicate job name 'load'"));
  CHECK(p.job_names() == std::vector<std::string>{"load"});  // nothing half-added
}

TEST_CASE("api: bad names, config TOML, trigger rules and options are errors naming the job", "[api][errors]") {
  Pipeline p("bad");
  CHECK_THAT(error_of([] { Pipeline("no spaces"); }),
             Contains("pipeline name 'no spaces' must match [A-Za-z0-9_-]+"));
  CHECK_THAT(error_of([&] { p.add_job("a b", ok_job); }), Contains("job name 'a b'"));
  std::string toml = error_of([&] { p.add_job("cfg", ok_job, {.config = "command = 'unclosed"}); });
  CHECK_THAT(toml, Contains("pipeline 'bad': job 'cfg': config is not valid TOML"));
  CHECK_THAT(toml, Contains("line 1"));
  CHECK_THAT(error_of([&] { p.add_job("trig", ok_job, {.trigger = "all_sucess"}); }),
             Contains("job 'trig': unknown trigger rule 'all_sucess' (did you mean 'all_success'?)"));
  CHECK_THAT(error_of([&] { p.add_job("neg", ok_job, {.retries = -1}); }),
             Contains("job 'neg': retries must be between 0 and 1000"));
  CHECK_THAT(error_of([&] { p.add_job("typ", "noplugin"); }),
             Contains("job 'typ': the job type must be <plugin>.<job type>, got 'noplugin'"));
  CHECK_THAT(error_of([&] { p.add_job("empty", jobhost::JobFn{}); }),
             Contains("job 'empty': the job function is empty"));
  CHECK_THAT(error_of([&] { p.max_parallel(0); }), Contains("max_parallel must be at least 1"));
  CHECK(p.job_names().empty());
  CHECK_THAT(error_of([&] { p.run(); }), Contains("a pipeline needs at least one job"));
}

TEST_CASE("api: an unknown plugin job type is an error with a hint", "[api][errors]") {
  jobhost::test::TempDir dir;
  Pipeline p("types");
  p.add_job("shell", "utilities.shel", {.config = "command = 'true'"});
  std::string msg = error_of([&] { p.validate(); });
  CHECK_THAT(msg, Contains("pipeline 'types': job 'shell' uses unknown job type 'utilities.shel'"));
  CHECK_THAT(msg, Contains("did you mean 'utilities.shell'?"));
}

TEST_CASE("api: bad logical dates, unknown params and template variables stop the run", "[api][errors]") {
  jobhost::test::TempDir dir;
  std::atomic<int> runs{0};
  Pipeline p("inputs");
  p.param("region", "eu").add_job("job", [&](Context&) { ++runs; return Status::ok(); });
  jobhost::RunOptions o;
  o.scratch_root = dir.str("scratch");
  o.logical_date = "2026-02-30";
  CHECK_THAT(error_of([&] { p.run(o); }), Contains("logical date '2026-02-30' is not a valid"));
  o.logical_date = "2026-02-28";
  o.params = {{"regoin", "us"}};
  CHECK_THAT(error_of([&] { p.run(o); }), Contains("did you mean 'region'?"));
  o.params.clear();
  Pipeline t("templates");
  t.add_job("job", ok_job, {.config = "path = '{{ params.nope }}'"});
  CHECK_THAT(error_of([&] { t.run(o); }), Contains("job 'job'"));
  CHECK(runs == 0);
}

TEST_CASE("api: a run store that cannot be opened is an error naming the file", "[api][errors]") {
  jobhost::test::TempDir dir;
  std::string blocker = dir.str("file");
  { std::ofstream(blocker) << "x"; }
  Pipeline p("store");
  p.add_job("job", ok_job);
  jobhost::RunOptions o;
  o.scratch_root = dir.str("scratch");
  o.state_path = blocker + "/state.db";  // a folder that is a file
  std::string msg = error_of([&] { p.run(o); });
  CHECK_THAT(msg, Contains("run store"));
  CHECK_THAT(msg, Contains(blocker));
}
