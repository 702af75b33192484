#include <catch2/catch.hpp>

#include <future>
#include <mutex>

#include "exec/executor.hpp"

using namespace jobhost;

namespace {

AttemptResult fail(jh_status s, std::string msg) {
  AttemptResult r;
  r.status = s;
  r.error = std::move(msg);
  return r;
}
AttemptResult ok() { return fail(JH_STATUS_OK, ""); }

ExecJob job(std::string name, std::vector<uint32_t> preds,
            std::function<AttemptResult(const AttemptInput&)> run = [](auto&) { return ok(); }) {
  ExecJob j;
  j.name = std::move(name);
  j.preds = std::move(preds);
  j.run = std::move(run);
  j.retry.delay = Millis(0);
  j.retry.jitter = false;
  return j;
}

ExecOptions options(int parallel = 2) {
  ExecOptions o;
  o.max_parallel = parallel;
  o.run_id = "r1";
  o.pipeline = "p";
  o.logical_date = "2026-11-28";
  o.cancel_grace = Millis(20);
  return o;
}

bool cancelled(const AttemptInput& in) {
  // in.cancel exists only for attempts with a timeout.
  return (in.cancel && in.cancel->load()) || in.cancel_all->load();
}

// Blocks until the attempt is cancelled (the executor must cancel it).
AttemptResult wait_for_cancel(const AttemptInput& in) {
  while (!cancelled(in)) std::this_thread::yield();
  return fail(JH_STATUS_CANCELLED, "");
}

}  // namespace

TEST_CASE("executor: dependencies run before dependants", "[executor]") {
  std::mutex mu;
  std::vector<std::string> order;
  auto rec = [&](std::string n) {
    return [&, n](const AttemptInput&) {
      std::lock_guard lock(mu);
      order.push_back(n);
      return ok();
    };
  };
  std::vector<ExecJob> jobs = {job("a", {}, rec("a")), job("b", {0}, rec("b")), job("c", {0}, rec("c")),
                               job("d", {1, 2}, rec("d"))};
  Executor ex(std::move(jobs), options(4));
  auto r = ex.run();
  REQUIRE(r.ok());
  REQUIRE(order.size() == 4);
  CHECK(order.front() == "a");
  CHECK(order.back() == "d");
}

TEST_CASE("executor: retryable failures retry up to the limit, fatal ones do not", "[executor]") {
  std::atomic<int> calls{0};
  auto flaky = job("flaky", {}, [&](const AttemptInput& in) {
    ++calls;
    CHECK(in.attempt == static_cast<uint32_t>(calls.load()));
    CHECK(in.max_attempts == 3);
    return calls < 3 ? fail(JH_STATUS_RETRY, "not yet") : ok();
  });
  flaky.retry.retries = 2;
  auto fatal = job("fatal", {}, [](auto&) { return fail(JH_STATUS_FATAL, "bad config"); });
  fatal.retry.retries = 5;
  auto exhausted = job("exhausted", {}, [](auto&) { return fail(JH_STATUS_RETRY, "down"); });
  exhausted.retry.retries = 1;
  Executor ex({flaky, fatal, exhausted}, options());
  auto r = ex.run();
  CHECK(r.jobs[0].state == JobState::success);
  CHECK(r.jobs[0].attempts == 3);
  CHECK(r.jobs[1].state == JobState::failed);
  CHECK(r.jobs[1].attempts == 1);
  CHECK(r.jobs[1].error == "bad config");
  CHECK(r.jobs[2].state == JobState::failed);
  CHECK(r.jobs[2].attempts == 2);
}

TEST_CASE("executor: a failure propagates through trigger rules", "[executor]") {
  auto a = job("a", {}, [](auto&) { return fail(JH_STATUS_FATAL, "boom"); });
  auto b = job("b", {0});                                  // all_success -> upstream_failed
  auto c = job("c", {1});                                  // all_success -> upstream_failed
  auto d = job("d", {0}); d.trigger = TriggerRule::all_done;
  auto e = job("e", {0}); e.trigger = TriggerRule::one_failed;
  auto f = job("f", {0}); f.trigger = TriggerRule::all_failed;
  auto g = job("g", {3, 1}); g.trigger = TriggerRule::one_success;
  auto h = job("h", {1}); h.trigger = TriggerRule::none_failed;
  Executor ex({a, b, c, d, e, f, g, h}, options());
  auto r = ex.run();
  CHECK_FALSE(r.ok());
  CHECK(r.jobs[0].state == JobState::failed);
  CHECK(r.jobs[1].state == JobState::upstream_failed);
  CHECK(r.jobs[2].state == JobState::upstream_failed);
  CHECK(r.jobs[3].state == JobState::success);
  CHECK(r.jobs[4].state == JobState::success);
  CHECK(r.jobs[5].state == JobState::success);
  CHECK(r.jobs[6].state == JobState::success);
  CHECK(r.jobs[7].state == JobState::upstream_failed);
}

TEST_CASE("executor: a skipped job skips all_success dependants", "[executor]") {
  auto a = job("a", {}, [](auto&) { return fail(JH_STATUS_SKIPPED, ""); });
  auto b = job("b", {0});
  auto c = job("c", {0}); c.trigger = TriggerRule::none_failed;
  auto d = job("d", {0}); d.trigger = TriggerRule::none_failed_min_one_success;
  Executor ex({a, b, c, d}, options());
  auto r = ex.run();
  CHECK(r.ok());
  CHECK(r.jobs[1].state == JobState::skipped);
  CHECK(r.jobs[2].state == JobState::success);
  CHECK(r.jobs[3].state == JobState::skipped);
}

TEST_CASE("executor: a timeout cancels the attempt cooperatively and retries it", "[executor][timeout]") {
  std::atomic<int> calls{0};
  auto slow = job("slow", {}, [&](const AttemptInput& in) {
    if (++calls == 1) return wait_for_cancel(in);
    return ok();
  });
  slow.timeout = Millis(30);
  slow.retry.retries = 1;
  auto never = job("never", {}, wait_for_cancel);
  never.timeout = Millis(10);
  Executor ex({slow, never}, options());
  auto r = ex.run();
  CHECK(r.jobs[0].state == JobState::success);
  CHECK(r.jobs[0].attempts == 2);
  CHECK(r.jobs[1].state == JobState::failed);
  CHECK_THAT(r.jobs[1].error, Catch::StartsWith("timed out after 10 ms"));
}

TEST_CASE("executor: a job that ignores cancellation is abandoned after the grace period", "[executor][timeout]") {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> returned{false};
  auto stuck = job("stuck", {}, [&, released](const AttemptInput&) {
    released.wait();  // ignores cancellation entirely
    returned = true;
    return ok();
  });
  stuck.timeout = Millis(10);
  auto after = job("after", {0});
  after.trigger = TriggerRule::all_done;
  AttemptResult late;
  {
    Executor ex({stuck, after}, options(1));
    auto r = ex.run();  // must return while the stuck attempt is still blocked
    CHECK_FALSE(returned.load());
    CHECK(r.jobs[0].state == JobState::failed);
    CHECK_THAT(r.jobs[0].error, Catch::StartsWith("timed out"));
    CHECK(r.jobs[1].state == JobState::success);  // a replacement worker ran it (max_parallel 1)
  }
  release.set_value();
}

TEST_CASE("executor: fail_fast cancels running jobs and skips the rest", "[executor]") {
  std::promise<void> b_started;
  auto a = job("a", {}, [&](auto&) {
    b_started.get_future().wait();
    return fail(JH_STATUS_FATAL, "boom");
  });
  auto b = job("b", {}, [&](const AttemptInput& in) {
    b_started.set_value();
    return wait_for_cancel(in);
  });
  auto c = job("c", {1});
  auto opt = options(2);
  opt.fail_fast = true;
  Executor ex({a, b, c}, opt);
  auto r = ex.run();
  CHECK(r.cancelled == CancelReason::fail_fast);
  CHECK(r.jobs[0].state == JobState::failed);
  CHECK(r.jobs[1].state == JobState::cancelled);
  CHECK(r.jobs[2].state == JobState::skipped);
}

TEST_CASE("executor: external cancel stops running jobs and starts no new ones", "[executor]") {
  std::promise<void> started;
  std::atomic<int> later_runs{0};
  auto a = job("a", {}, [&](const AttemptInput& in) {
    started.set_value();
    return wait_for_cancel(in);
  });
  auto b = job("b", {0}, [&](auto&) { ++later_runs; return ok(); });
  auto c = job("c", {}, [&](auto&) { ++later_runs; return ok(); });
  c.preds = {0};
  c.trigger = TriggerRule::all_done;
  Executor ex({a, b, c}, options(1));
  auto fut = started.get_future();
  std::thread t([&] {
    fut.wait();
    ex.cancel();
  });
  auto r = ex.run();
  t.join();
  CHECK(r.cancelled == CancelReason::interrupted);
  CHECK(r.jobs[0].state == JobState::cancelled);
  CHECK(later_runs == 0);
  CHECK(r.jobs[2].state == JobState::cancelled);
}

TEST_CASE("executor: outputs flow to dependants, presets count as done", "[executor]") {
  auto a = job("a", {}, [](auto&) {
    AttemptResult r = ok();
    r.outputs["rows"] = "42";
    return r;
  });
  auto pre = job("pre", {});
  pre.preset = JobState::success;
  pre.preset_outputs["path"] = "/data/x";
  pre.run = [](auto&) -> AttemptResult { FAIL("a preset job must not run"); return {}; };
  std::string seen;
  auto b = job("b", {0, 1}, [&](const AttemptInput& in) {
    seen = in.inputs("a", "rows").value_or("?") + " " + in.inputs("pre", "path").value_or("?") + " " +
           in.inputs("a", "nope").value_or("none");
    return ok();
  });
  Executor ex({a, pre, b}, options());
  auto r = ex.run();
  CHECK(r.ok());
  CHECK(seen == "42 /data/x none");
}

TEST_CASE("executor: a long chain and a wide fan-out complete", "[executor]") {
  std::vector<ExecJob> jobs;
  for (uint32_t i = 0; i < 2000; ++i) jobs.push_back(job("c" + std::to_string(i), i ? std::vector<uint32_t>{i - 1} : std::vector<uint32_t>{}));
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < 2000; ++i) all.push_back(i);
  jobs.push_back(job("join", all));
  std::atomic<int> runs{0};
  for (auto& j : jobs) j.run = [&](auto&) { ++runs; return ok(); };
  Executor ex(std::move(jobs), options(2));
  auto r = ex.run();
  CHECK(r.ok());
  CHECK(runs == 2001);
}

TEST_CASE("executor: with a start instant no job starts before it", "[executor]") {
  const auto start_at = std::chrono::system_clock::now() + std::chrono::milliseconds(300);
  std::mutex mu;
  std::vector<std::chrono::system_clock::time_point> starts;
  auto rec = [&](const AttemptInput&) {
    std::lock_guard lock(mu);
    starts.push_back(std::chrono::system_clock::now());
    return ok();
  };
  std::vector<ExecJob> jobs = {job("a", {}, rec), job("b", {}, rec), job("c", {0, 1}, rec)};
  auto opt = options(2);
  opt.start_at = start_at;
  Executor ex(std::move(jobs), opt);
  REQUIRE(ex.run().ok());
  REQUIRE(starts.size() == 3);
  for (auto t : starts) CHECK(t >= start_at);
}

TEST_CASE("executor: a cancel while waiting for the start instant ends the run at once, nothing started", "[executor]") {
  std::atomic<int> calls{0};
  auto count = [&](const AttemptInput&) {
    ++calls;
    return ok();
  };
  std::vector<ExecJob> jobs = {job("a", {}, count), job("b", {0}, count)};
  auto opt = options(2);
  opt.start_at = std::chrono::system_clock::now() + std::chrono::hours(1);
  Executor ex(std::move(jobs), opt);
  auto result = std::async(std::launch::async, [&] { return ex.run(); });
  ex.cancel();  // before or during the wait: either way the run must not wait the hour
  REQUIRE(result.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  auto r = result.get();
  CHECK(calls == 0);
  CHECK(r.jobs[0].state == JobState::cancelled);
  CHECK(r.cancelled == CancelReason::interrupted);
}
