// Deferrable attempts (ABI 1.1) through the fluent API: in-process job classes with run/poll/
// cancel, as a plugin would declare them. A deferred attempt holds no worker: thousands wait at
// once on two workers; timeouts, fail_fast and Pipeline::cancel() reach deferred attempts
// through their cancel(); max_deferred bounds them.
#include <catch2/catch.hpp>
#include <jobhost/pipeline.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "api_support.hpp"

using jobhost::Context;
using jobhost::Deferred;
using jobhost::Outcome;
using jobhost::Pipeline;
using jobhost::RunResult;
using jobhost::Status;
using jobhost::test::quiet;
using namespace std::chrono_literals;

namespace {


// What every job of a test shares: how many started, how many calls are on a thread now (and
// at most), and the cancel() calls with the handle they got.
struct Shared {
  std::atomic<int> started{0};
  std::atomic<int> in_call{0}, max_in_call{0};
  std::atomic<int> in_progress{0}, max_in_progress{0};
  std::mutex mu;
  std::multiset<std::string> cancelled;  // "<job> <handle>"

  struct Call {
    Shared& s;
    explicit Call(Shared& sh) : s(sh) {
      int n = ++s.in_call;
      for (int m = s.max_in_call; n > m && !s.max_in_call.compare_exchange_weak(m, n);) {
      }
    }
    ~Call() { --s.in_call; }
  };
  void enter() {
    int n = ++in_progress;
    for (int m = max_in_progress; n > m && !max_in_progress.compare_exchange_weak(m, n);) {
    }
  }
};

// Waits (deferred) until every job of the pipeline has started: only possible when deferred
// attempts do not hold the workers.
struct WaitForAll {
  std::shared_ptr<Shared> s;
  int total;
  Outcome run(Context& ctx) const {
    Shared::Call c(*s);
    ++s->started;
    return Deferred(std::string(ctx.job_name()), 50ms);
  }
  Outcome poll(Context& ctx, std::string_view handle) const {
    Shared::Call c(*s);
    if (handle != ctx.job_name()) return Status::fatal("wrong handle '" + std::string(handle) + "'");
    if (s->started.load() < total) return Deferred::again(50ms);
    return Status::ok();
  }
};

// Never finishes by itself; records cancel() calls.
struct Forever {
  std::shared_ptr<Shared> s;
  Outcome run(Context& ctx) const {
    ++s->started;
    return Deferred("remote-" + std::string(ctx.job_name()) + "-" + std::to_string(ctx.attempt()), 20ms);
  }
  Outcome poll(Context&, std::string_view) const { return Deferred::again(20ms); }
  void cancel(Context& ctx, std::string_view handle) const {
    std::lock_guard lock(s->mu);
    s->cancelled.insert(std::string(ctx.job_name()) + " " + std::string(handle));
  }
};

}  // namespace

TEST_CASE("api deferral: 10,000 attempts deferred at once on max_parallel = 2", "[api][deferral]") {
  jobhost::test::TempDir dir;
  constexpr int kJobs = 10000;
  auto shared = std::make_shared<Shared>();
  Pipeline p("many");
  p.max_parallel(2);
  for (int i = 0; i < kJobs; ++i)
    p.add_job("j" + std::to_string(i), WaitForAll{shared, kJobs}, {.timeout = 120s});
  RunResult r = p.run(quiet(dir));
  CHECK(r.ok());
  CHECK(shared->started == kJobs);
  CHECK(shared->max_in_call <= 2);  // every run and poll on one of the two workers
  int ok = 0;
  for (auto& j : r.jobs()) ok += j.state == "success" && j.attempts == 1;
  CHECK(ok == kJobs);
}

TEST_CASE("api deferral: a timeout cancels the deferred attempt's remote work, then retries",
          "[api][deferral]") {
  jobhost::test::TempDir dir;
  auto shared = std::make_shared<Shared>();
  Pipeline p("timeouts");
  p.add_job("slow", Forever{shared}, {.retries = 1, .retry_delay = 0ms, .timeout = 300ms});
  RunResult r = p.run(quiet(dir));
  CHECK(r.status() == "failed");
  CHECK(r.state("slow") == "failed");
  CHECK(r.attempts("slow") == 2);
  CHECK(r.error("slow") == "timed out after 300 ms");
  // Each attempt's own remote work was cancelled, with the handle it deferred with.
  CHECK(shared->cancelled == std::multiset<std::string>{"slow remote-slow-1", "slow remote-slow-2"});
}

TEST_CASE("api deferral: fail_fast cancels deferred attempts", "[api][deferral]") {
  jobhost::test::TempDir dir;
  auto shared = std::make_shared<Shared>();
  auto waiting = std::make_shared<std::atomic<int>>(0);
  struct FailLater {
    std::shared_ptr<Shared> s;
    Outcome run(Context&) const { return Deferred("", 1ms); }
    // Fails once the three others wait deferred.
    Outcome poll(Context&, std::string_view) const {
      if (s->started.load() < 3) return Deferred::again(5ms);
      return Status::fatal("remote rejected the job");
    }
  };
  Pipeline p("ff");
  p.fail_fast();
  p.add_job("bad", FailLater{shared});
  for (auto name : {"w1", "w2", "w3"}) p.add_job(name, Forever{shared});
  p.add_job("after", [](Context&) { return Status::ok(); }, {.depends_on = {"w1"}});
  RunResult r = p.run(quiet(dir));
  CHECK(r.status() == "failed");
  CHECK(r.state("bad") == "failed");
  CHECK(r.error("bad") == "remote rejected the job");
  for (auto name : {"w1", "w2", "w3"}) {
    INFO(name);
    CHECK(r.state(name) == "cancelled");
    CHECK(shared->cancelled.count(std::string(name) + " remote-" + name + "-1") == 1);
  }
  CHECK(r.state("after") == "skipped");
}

TEST_CASE("api deferral: Pipeline::cancel() reaches deferred attempts", "[api][deferral]") {
  jobhost::test::TempDir dir;
  auto shared = std::make_shared<Shared>();
  Pipeline p("cancel");
  for (int i = 0; i < 20; ++i) p.add_job("w" + std::to_string(i), Forever{shared});
  auto result = std::async(std::launch::async, [&] { return p.run(quiet(dir)); });
  // Cancelled once every job waits deferred (polled, not timed: started counts run() calls).
  while (shared->started.load() < 20 && result.wait_for(1ms) != std::future_status::ready) {
  }
  p.cancel();
  RunResult r = result.get();
  CHECK(r.status() == "cancelled");
  for (auto& j : r.jobs()) CHECK(j.state == "cancelled");
  CHECK(shared->cancelled.size() == 20);
}

TEST_CASE("api deferral: max_deferred bounds the deferrable attempts in progress", "[api][deferral]") {
  jobhost::test::TempDir dir;
  auto shared = std::make_shared<Shared>();
  struct Counted {
    std::shared_ptr<Shared> s;
    Outcome run(Context&) const {
      s->enter();
      return Deferred("x", 5ms);
    }
    Outcome poll(Context& ctx, std::string_view) const {
      if (ctx.poll_count() < 3) return Deferred::again(5ms);
      --s->in_progress;
      return Status::ok();
    }
  };
  Pipeline p("cap");
  p.max_parallel(4).max_deferred(3);
  for (int i = 0; i < 30; ++i) p.add_job("c" + std::to_string(i), Counted{shared});
  RunResult r = p.run(quiet(dir));
  CHECK(r.ok());
  CHECK(shared->max_in_progress == 3);
  CHECK_THROWS_AS(Pipeline("x").max_deferred(0), jobhost::PipelineError);
}

TEST_CASE("api deferral: a throwing poll is a retryable failure, and poll sees its count and key",
          "[api][deferral]") {
  jobhost::test::TempDir dir;
  struct Flaky {
    std::shared_ptr<std::vector<std::string>> keys = std::make_shared<std::vector<std::string>>();
    Outcome run(Context& ctx) const {
      keys->push_back(std::string(ctx.idempotency_key()));
      return Deferred("h", 1ms);
    }
    Outcome poll(Context& ctx, std::string_view) const {
      if (ctx.attempt() == 1) throw std::runtime_error("engine unreachable");
      if (ctx.poll_count() < 2) return Deferred::again(1ms);
      ctx.set_output("key", std::string(ctx.idempotency_key()));
      return Status::ok();
    }
  };
  Flaky job;
  Pipeline p("flaky");
  p.add_job("f", job, {.retries = 1, .retry_delay = 0ms});
  RunResult r = p.run(quiet(dir));
  CHECK(r.ok());
  CHECK(r.attempts("f") == 2);
  REQUIRE(job.keys->size() == 2);
  // A new attempt gets a new key; every call of one attempt sees the same one.
  CHECK((*job.keys)[0] != (*job.keys)[1]);
  CHECK(r.output("f", "key") == (*job.keys)[1]);
  CHECK((*job.keys)[0].size() == 35);
  CHECK((*job.keys)[0].rfind("jh-", 0) == 0);
}

TEST_CASE("api deferral: upstream outputs in templates and in the shell's environment",
          "[api][deferral][templates]") {
  jobhost::test::TempDir dir;
  Pipeline p("outputs");
  p.plugin_path(JOBHOST_TEST_PLUGIN_DIR);
  p.add_job("extract", [](Context& ctx) {
     ctx.set_output("rows", "42");
     ctx.set_output("out-path", "/data/x.csv");
     return Status::ok();
   })
      .add_job("load", "utilities.shell",
               {.depends_on = {"extract"},
                .config = "command = 'echo {{ jobs.extract.outputs.rows }} "
                          "$JOBHOST_INPUT_EXTRACT_ROWS $JOBHOST_INPUT_EXTRACT_OUT_PATH > " +
                          dir.str("load.txt") + "'"})
      .add_job("report", "utilities.shell",
               {.depends_on = {"load"},
                .config = "command = 'echo {{ jobs.extract.outputs.rows }} $JOBHOST_INPUT_EXTRACT_ROWS > " +
                          dir.str("report.txt") +
                          "'\nenv = { JOBHOST_INPUT_EXTRACT_ROWS = 'overridden' }"});
  RunResult r = p.run(quiet(dir));
  INFO(r.error("load") << r.error("report"));
  REQUIRE(r.ok());
  CHECK(jobhost::test::read_file(dir.str("load.txt")) == "42 42 /data/x.csv\n");
  // A transitive upstream's output in a template; in the environment only direct upstreams'
  // (here none of extract's), and the config's env as given.
  CHECK(jobhost::test::read_file(dir.str("report.txt")) == "42 overridden\n");

  // Two upstream outputs with the same variable name: the later upstream (depends_on order) wins.
  Pipeline clash("clash");
  clash.plugin_path(JOBHOST_TEST_PLUGIN_DIR);
  clash.add_job("p-1", [](Context& ctx) { ctx.set_output("x", "dash"); return Status::ok(); })
      .add_job("p_1", [](Context& ctx) { ctx.set_output("x", "underscore"); return Status::ok(); })
      .add_job("use", "utilities.shell",
               {.depends_on = {"p-1", "p_1"},
                .config = "command = 'printenv JOBHOST_INPUT_P_1_X > " + dir.str("clash.txt") + "'"});
  REQUIRE(clash.run(quiet(dir)).ok());
  CHECK(jobhost::test::read_file(dir.str("clash.txt")) == "underscore\n");

  // A job that is not upstream, and an upstream output that was never published.
  Pipeline bad("bad");
  bad.add_job("a", [](Context&) { return Status::ok(); })
      .add_job("b", [](Context&) { return Status::ok(); },
               {.config = "x = '{{ jobs.a.outputs.rows }}'"});
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("job 'a' is not upstream of job 'b'"));
  Pipeline missing("missing");
  missing.plugin_path(JOBHOST_TEST_PLUGIN_DIR);
  missing.add_job("a", [](Context&) { return Status::ok(); })
      .add_job("b", "utilities.shell",
               {.depends_on = {"a"}, .config = "command = 'echo {{ jobs.a.outputs.rows }}'"});
  RunResult m = missing.run(quiet(dir));
  CHECK(m.state("b") == "failed");
  CHECK(m.error("b") == "config: '{{ jobs.a.outputs.rows }}': job 'a' published no output 'rows'");
}

TEST_CASE("api deferral: a cancel() that throws still cancels the attempt, and says so",
          "[api][deferral]") {
  jobhost::test::TempDir dir;
  struct BadCancel {
    Outcome run(Context&) const { return Deferred("remote-1", 20ms); }
    Outcome poll(Context&, std::string_view) const { return Deferred::again(20ms); }
    void cancel(Context&, std::string_view) const { throw std::runtime_error("engine unreachable"); }
  };
  Pipeline p("badcancel");
  p.add_job("j", BadCancel{}, {.timeout = 100ms});
  RunResult r = p.run(quiet(dir));
  CHECK(r.state("j") == "failed");
  CHECK(r.error("j") ==
        "timed out after 100 ms (cancelled; cancelling its remote work failed: engine unreachable)");
}
