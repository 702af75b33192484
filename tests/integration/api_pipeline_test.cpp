// The fluent C++ API runs pipelines: lambdas and plugin jobs, retries, exceptions, trigger
// rules, outputs between jobs, params, timeouts and resuming from a run store.
#include <catch2/catch.hpp>
#include <jobhost/pipeline.hpp>

#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "greet_job.hpp"
#include "api_support.hpp"

using jobhost::Context;
using jobhost::Pipeline;
using jobhost::RunResult;
using jobhost::Status;
using jobhost::test::quiet;
using namespace std::chrono_literals;

namespace {


Status process_fn(Context& ctx) {
  ctx.set_output("seen", std::string(ctx.input("ingest", "rows").value_or("none")));
  return Status::ok();
}

}  // namespace

TEST_CASE("api: the seed example runs lambdas, a function and a plugin job in order", "[api]") {
  jobhost::test::TempDir dir;
  Pipeline p("daily");
  p.add_job("ingest", [](Context& ctx) {
     ctx.log_info("hi");
     ctx.set_output("rows", "3");
     return Status::ok();
   })
      .add_job("process", process_fn, {.depends_on = {"ingest"}, .retries = 2})
      .add_job("aggregate", "utilities.shell",
               {.depends_on = {"process"}, .config = "command = 'true'"});
  RunResult r = p.run(quiet(dir));
  INFO(r.error("aggregate"));
  CHECK(r.ok());
  CHECK(r.status() == "success");
  CHECK(r.pipeline() == "daily");
  CHECK(r.logical_date() == "2026-11-28");
  CHECK_FALSE(r.run_id().empty());
  for (auto job : {"ingest", "process", "aggregate"}) {
    CHECK(r.state(job) == "success");
    CHECK(r.attempts(job) == 1);
    CHECK(r.error(job).empty());
  }
  CHECK(r.output("process", "seen") == std::optional<std::string>("3"));
  CHECK_FALSE(r.output("process", "absent").has_value());
  CHECK_THROWS_AS(r.state("nope"), std::out_of_range);
}

TEST_CASE("api: a plugin job that fails fails the run, and its dependants are upstream_failed", "[api]") {
  jobhost::test::TempDir dir;
  Pipeline p("shell_fails");
  p.add_job("fail", "utilities.shell", {.config = "command = 'exit 7'\nfatal_exit_codes = [7]"})
      .add_job("after", [](Context&) { return Status::ok(); }, {.depends_on = {"fail"}});
  RunResult r = p.run(quiet(dir));
  CHECK_FALSE(r.ok());
  CHECK(r.status() == "failed");
  CHECK(r.state("fail") == "failed");
  CHECK(r.attempts("fail") == 1);
  CHECK_FALSE(r.error("fail").empty());
  CHECK(r.state("after") == "upstream_failed");
  CHECK(r.attempts("after") == 0);
}

TEST_CASE("api: a lambda that fails twice then succeeds is retried: 3 attempts", "[api][retry]") {
  jobhost::test::TempDir dir;
  std::atomic<int> calls{0};
  Pipeline p("retrying");
  p.add_job("flaky", [&](Context& ctx) {
    int n = ++calls;
    CHECK(ctx.attempt() == static_cast<uint32_t>(n));
    CHECK(ctx.max_attempts() == 4u);
    return n < 3 ? Status::retry("not yet (" + std::to_string(n) + ")") : Status::ok();
  }, {.retries = 3, .retry_delay = 0ms, .retry_jitter = false});
  RunResult r = p.run(quiet(dir));
  CHECK(r.ok());
  CHECK(r.state("flaky") == "success");
  CHECK(r.attempts("flaky") == 3);
  CHECK(calls == 3);
  CHECK(r.error("flaky").empty());
}

TEST_CASE("api: an exception in a lambda is retried, then fails with its message", "[api][retry]") {
  jobhost::test::TempDir dir;
  std::atomic<int> calls{0};
  Pipeline p("throwing");
  p.add_job("boom", [&](Context&) -> Status {
    ++calls;
    throw std::runtime_error("disk on fire");
  }, {.retries = 2, .retry_delay = 0ms, .retry_jitter = false});
  RunResult r = p.run(quiet(dir));
  CHECK_FALSE(r.ok());
  CHECK(r.state("boom") == "failed");
  CHECK(r.attempts("boom") == 3);
  CHECK(calls == 3);
  CHECK(r.error("boom").find("disk on fire") != std::string::npos);
}

TEST_CASE("api: jobhost::FatalError and Status::fatal are not retried", "[api][retry]") {
  jobhost::test::TempDir dir;
  std::atomic<int> thrown{0}, returned{0};
  Pipeline p("fatal");
  p.add_job("throws", [&](Context&) -> Status {
     ++thrown;
     throw jobhost::FatalError("bad input file");
   }, {.retries = 5, .retry_delay = 0ms})
      .add_job("returns", [&](Context&) {
        ++returned;
        return Status::fatal("bad config");
      }, {.retries = 5, .retry_delay = 0ms});
  RunResult r = p.run(quiet(dir));
  CHECK(r.state("throws") == "failed");
  CHECK(r.attempts("throws") == 1);
  CHECK(thrown == 1);
  CHECK(r.error("throws").find("bad input file") != std::string::npos);
  CHECK(r.state("returns") == "failed");
  CHECK(r.attempts("returns") == 1);
  CHECK(returned == 1);
  CHECK(r.error("returns") == "bad config");
}

TEST_CASE("api: the trigger option decides whether a job runs after its upstreams", "[api][trigger]") {
  jobhost::test::TempDir dir;
  std::atomic<int> cleanup_runs{0}, normal_runs{0};
  auto fails = [](Context&) { return Status::fatal("no data"); };
  auto ok = [](Context&) { return Status::ok(); };
  Pipeline p("triggers");
  p.add_job("load", fails)
      .add_job("other", ok)
      .add_job("cleanup", [&](Context&) { ++cleanup_runs; return Status::ok(); },
               {.depends_on = {"load", "other"}, .trigger = "all_done"})
      .add_job("on_failure", ok, {.depends_on = {"load"}, .trigger = "one_failed"})
      .add_job("on_all_failed", ok, {.depends_on = {"load", "other"}, .trigger = "all_failed"})
      .add_job("normal", [&](Context&) { ++normal_runs; return Status::ok(); },
               {.depends_on = {"load"}});
  RunResult r = p.run(quiet(dir));
  CHECK(r.state("cleanup") == "success");
  CHECK(cleanup_runs == 1);
  CHECK(r.state("on_failure") == "success");
  CHECK(r.state("on_all_failed") == "skipped");
  CHECK(r.state("normal") == "upstream_failed");
  CHECK(normal_runs == 0);
  CHECK_FALSE(r.ok());
}

TEST_CASE("api: outputs pass between lambda jobs through set_output and input", "[api][outputs]") {
  jobhost::test::TempDir dir;
  Pipeline p("outputs");
  p.param("factor", "3")
      .add_job("produce", [](Context& ctx) {
        ctx.set_output("rows", "14");
        ctx.set_output("ratio", 0.5);
        return Status::ok();
      })
      .add_job("consume", [](Context& ctx) {
        auto rows = ctx.input("produce", "rows");
        auto factor = ctx.input("@params", "factor");
        if (!rows || !factor) return Status::fatal("missing input");
        ctx.set_output("total", std::to_string(std::stoi(*rows) * std::stoi(*factor)));
        ctx.set_output("ratio_seen", *ctx.input("produce", "ratio"));
        ctx.set_output("label", ctx.require<std::string>("label"));
        return Status::ok();
      }, {.depends_on = {"produce"}, .config = "label = 'x{{ params.factor }} on {{ run.logical_date }}'"});
  jobhost::RunOptions o = quiet(dir);
  SECTION("param defaults") {
    RunResult r = p.run(o);
    INFO(r.error("consume"));
    REQUIRE(r.ok());
    CHECK(r.output("consume", "total") == std::optional<std::string>("42"));
    CHECK(r.output("consume", "ratio_seen") == std::optional<std::string>("0.5"));
    CHECK(r.output("consume", "label") == std::optional<std::string>("x3 on 2026-11-28"));
    CHECK(r.job("produce").outputs.size() == 2);
  }
  SECTION("params overridden per run") {
    o.params = {{"factor", "10"}};
    RunResult r = p.run(o);
    CHECK(r.output("consume", "total") == std::optional<std::string>("140"));
    CHECK(r.output("consume", "label") == std::optional<std::string>("x10 on 2026-11-28"));
  }
}

TEST_CASE("api: the same job function runs as a plugin job and as a lambda job", "[api][sdk]") {
  jobhost::test::TempDir dir;
  Pipeline p("same_function");
  p.plugin_path(JOBHOST_API_PLUGIN_DIR)
      .add_job("seed", [](Context& ctx) { ctx.set_output("prefix", "> "); return Status::ok(); })
      .add_job("as_plugin", "api_fixture.greet", {.depends_on = {"seed"}, .config = "name = 'plugin'"})
      .add_job("as_lambda", api_fixture::greet, {.depends_on = {"seed"}, .config = "name = 'lambda'"})
      .add_job("no_name", api_fixture::greet, {.depends_on = {"seed"}, .retries = 3});
  RunResult r = p.run(quiet(dir));
  INFO(r.error("as_plugin") << r.error("as_lambda"));
  CHECK(r.state("as_plugin") == "success");
  CHECK(r.state("as_lambda") == "success");
  CHECK(r.output("as_plugin", "greeting") == std::optional<std::string>("> hello plugin"));
  CHECK(r.output("as_lambda", "greeting") == std::optional<std::string>("> hello lambda"));
  // A missing required key is a FatalError in both worlds: not retried.
  CHECK(r.state("no_name") == "failed");
  CHECK(r.attempts("no_name") == 1);
  CHECK(r.error("no_name").find("missing required key 'name'") != std::string::npos);
}

TEST_CASE("api: a timeout cancels a lambda through ctx.cancelled()", "[api][timeout]") {
  jobhost::test::TempDir dir;
  Pipeline p("timeouts");
  p.add_job("slow", [](Context& ctx) {
    while (!ctx.cancelled()) std::this_thread::yield();  // waits for the host's cancel flag
    return Status::cancelled();
  }, {.timeout = 50ms});
  RunResult r = p.run(quiet(dir));
  CHECK_FALSE(r.ok());
  CHECK(r.state("slow") == "failed");
  CHECK(r.attempts("slow") == 1);
  CHECK(r.error("slow").find("timed out") != std::string::npos);
}

TEST_CASE("api: cancel() from another thread stops the run and records the states", "[api][cancel]") {
  jobhost::test::TempDir dir;
  Pipeline p("cancels");
  std::promise<void> started;
  p.add_job("wait", [&](Context& ctx) {
     started.set_value();
     while (!ctx.cancelled()) std::this_thread::yield();  // waits for the host's cancel flag
     return Status::cancelled();
   }).add_job("after", [](Context&) { return Status::ok(); }, {.depends_on = {"wait"}});
  auto canceller = std::async(std::launch::async, [&] {
    started.get_future().wait();
    p.cancel();
  });
  RunResult r = p.run(quiet(dir));
  canceller.get();
  CHECK(r.status() == "cancelled");
  CHECK_FALSE(r.ok());
  CHECK(r.state("wait") == "cancelled");
  CHECK(r.state("after") == "cancelled");
  CHECK(r.attempts("after") == 0);

  // With no run in progress, cancel() does nothing: the next run is not cancelled by it.
  Pipeline q("after_cancel");
  q.add_job("a", [](Context&) { return Status::ok(); });
  q.cancel();
  CHECK(q.run(quiet(dir)).ok());
}

TEST_CASE("api: with a state path a rerun resumes: succeeded jobs are not run again", "[api][state]") {
  jobhost::test::TempDir dir;
  std::atomic<int> extract_runs{0}, load_runs{0};
  std::atomic<bool> load_fails{true};
  Pipeline p("resumable");
  p.add_job("extract", [&](Context& ctx) {
     ++extract_runs;
     ctx.set_output("file", "a.csv");
     return Status::ok();
   })
      .add_job("load", [&](Context& ctx) {
        ++load_runs;
        if (load_fails) return Status::fatal("database down");
        ctx.set_output("loaded", *ctx.input("extract", "file"));
        return Status::ok();
      }, {.depends_on = {"extract"}});
  jobhost::RunOptions o = quiet(dir);
  o.state_path = dir.str("state.db");

  RunResult first = p.run(o);
  CHECK(first.state("load") == "failed");
  load_fails = false;
  RunResult second = p.run(o);
  CHECK(second.ok());
  CHECK(second.run_id() == first.run_id());  // same (pipeline, date): the same run, a new try
  CHECK(extract_runs == 1);
  CHECK(load_runs == 2);
  CHECK(second.job("extract").carried_over);
  CHECK(second.output("load", "loaded") == std::optional<std::string>("a.csv"));

  o.force = true;
  RunResult forced = p.run(o);
  CHECK(forced.ok());
  CHECK(extract_runs == 2);
}

TEST_CASE("api: without a state path every run starts fresh", "[api][state]") {
  jobhost::test::TempDir dir;
  std::atomic<int> runs{0};
  Pipeline p("in_memory");
  p.add_job("count", [&](Context&) { ++runs; return Status::ok(); });
  RunResult a = p.run(quiet(dir));
  RunResult b = p.run(quiet(dir));
  CHECK(a.ok());
  CHECK(b.ok());
  CHECK(runs == 2);
  CHECK(a.run_id() != b.run_id());
}

TEST_CASE("api: max_parallel(1) runs independent jobs one at a time", "[api]") {
  jobhost::test::TempDir dir;
  std::atomic<int> running{0}, peak{0};
  auto job = [&](Context&) {
    int now = ++running;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    for (int i = 0; i < 1000; ++i) std::this_thread::yield();
    --running;
    return Status::ok();
  };
  Pipeline p("serial");
  p.max_parallel(1);
  for (int i = 0; i < 6; ++i) p.add_job("j" + std::to_string(i), job);
  RunResult r = p.run(quiet(dir));
  CHECK(r.ok());
  CHECK(peak == 1);
  CHECK(p.job_names().size() == 6);
}
