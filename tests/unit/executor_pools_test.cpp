// Host-wide pools: the PoolSet itself, and executors that share one.
#include <catch2/catch.hpp>

#include <algorithm>

#include "pool_test_support.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

PoolSet one_pool(int size) { return PoolSet({{"warehouse", size, 1, 1}}); }

// Attempts that stay in progress until `size` of them are (or every job has been in): the
// most in progress at once shows whether the pool let more in.
struct Crowd {
  std::mutex mu;
  std::condition_variable cv;
  int in_progress = 0, most = 0, done = 0;
  int size = 0, total = 0;
  AttemptResult enter() {
    std::unique_lock lock(mu);
    most = std::max(most, ++in_progress);
    cv.notify_all();
    // Bounded: when the pool lets too many in, `most` says so and the wait must not hang.
    cv.wait_for(lock, std::chrono::seconds(10),
                [&] { return in_progress >= size || done + in_progress == total; });
    --in_progress;
    ++done;
    cv.notify_all();
    return status(JH_STATUS_OK);
  }
};

}  // namespace

TEST_CASE("pool set: waiters get slots by priority, then in ticket order", "[pools]") {
  PoolSet pools = one_pool(2);
  std::vector<std::string> granted;
  auto waiter = [&](std::string name) { return [&granted, name] { granted.push_back(name); }; };
  REQUIRE(pools.acquire(0, 2, 0, pools.new_ticket(), waiter("first")));  // free: taken at once
  CHECK_FALSE(pools.acquire(0, 1, 1, pools.new_ticket(), waiter("low")));
  CHECK_FALSE(pools.acquire(0, 1, 5, pools.new_ticket(), waiter("high")));
  CHECK_FALSE(pools.acquire(0, 2, 5, pools.new_ticket(), waiter("high-later-two")));
  CHECK(usage_of(pools, 0).waiting == 3);
  pools.release(0, 1);  // one slot: "high" fits
  CHECK(granted == std::vector<std::string>{"high"});
  pools.release(0, 1);  // one free, but "high-later-two" needs two: it holds "low" back
  CHECK(granted == std::vector<std::string>{"high"});
  pools.release(0, 1);
  CHECK(granted == std::vector<std::string>{"high", "high-later-two"});
  pools.release(0, 2);
  CHECK(granted == std::vector<std::string>{"high", "high-later-two", "low"});
  pools.release(0, 1);
  CHECK(all_pools_full(pools));
}

TEST_CASE("pool set: a withdrawn waiter is never granted, and lets the next one in", "[pools]") {
  PoolSet pools = one_pool(2);
  std::vector<std::string> granted;
  REQUIRE(pools.acquire(0, 1, 0, pools.new_ticket(), [] {}));
  const uint64_t big = pools.new_ticket();
  CHECK_FALSE(pools.acquire(0, 2, 9, big, [&] { granted.push_back("big"); }));
  CHECK_FALSE(pools.acquire(0, 1, 0, pools.new_ticket(), [&] { granted.push_back("small"); }));
  CHECK(pools.withdraw(big));  // "small" fits in the free slot now
  CHECK(granted == std::vector<std::string>{"small"});
  CHECK_FALSE(pools.withdraw(big));
  pools.take(0, 5);  // work that runs already: beyond the size
  CHECK(usage_of(pools, 0).in_use == 7);
  pools.release(0, 7);
  CHECK(all_pools_full(pools));
  CHECK(PoolSet::from(HostPools{}) == nullptr);
}

TEST_CASE("executor pools: at most N attempts at once across two executors sharing a pool", "[pools]") {
  PoolSet pools = one_pool(2);
  Crowd crowd;
  crowd.size = 2;
  crowd.total = 12;
  auto jobs = [&](const std::string& prefix) {
    std::vector<ExecJob> list;
    for (int i = 0; i < 6; ++i)
      list.push_back(pool_job(prefix + std::to_string(i), [&](auto&) { return crowd.enter(); }));
    return list;
  };
  Executor a(jobs("a"), pool_options(pools, 4)), b(jobs("b"), pool_options(pools, 4));
  auto ra = run_async(a), rb = run_async(b);
  CHECK(ra.get().ok());
  CHECK(rb.get().ok());
  CHECK(crowd.most == 2);
  CHECK(all_pools_full(pools));
}

TEST_CASE("executor pools: waiting jobs of several executors start by priority, ties in arrival order", "[pools]") {
  PoolSet pools = one_pool(1);
  Gate gate;
  std::atomic<bool> blocking{false};
  std::mutex mu;
  std::vector<std::string> order;
  auto record = [&](std::string name) {
    return [&, name](const AttemptInput&) {
      std::lock_guard lock(mu);
      order.push_back(name);
      return status(JH_STATUS_OK);
    };
  };
  Executor holder({pool_job("blocker", [&](auto&) {
                    blocking = true;
                    gate.wait();
                    return status(JH_STATUS_OK);
                  })},
                  pool_options(pools));
  auto rh = run_async(holder);
  REQUIRE(eventually([&] { return blocking.load(); }));
  Executor a({pool_job("a1", record("a1"), 0, 1, 1), pool_job("a5", record("a5"), 0, 1, 5)},
             pool_options(pools));
  auto ra = run_async(a);
  REQUIRE(eventually([&] { return usage_of(pools, 0).waiting == 2; }));
  Executor b({pool_job("b3", record("b3"), 0, 1, 3), pool_job("b5", record("b5"), 0, 1, 5)},
             pool_options(pools));
  auto rb = run_async(b);
  REQUIRE(eventually([&] { return usage_of(pools, 0).waiting == 4; }));
  gate.release();
  CHECK(rh.get().ok());
  CHECK(ra.get().ok());
  CHECK(rb.get().ok());
  CHECK(order == std::vector<std::string>{"a5", "b5", "b3", "a1"});
  CHECK(all_pools_full(pools));
}

TEST_CASE("executor pools: slots come back after success, failure, a crash and a timeout", "[pools]") {
  PoolSet pools = one_pool(1);
  auto throws = [](const AttemptInput&) -> AttemptResult { throw std::runtime_error("crashed"); };
  auto timed_out = pool_job("timed_out", wait_for_cancel);
  timed_out.timeout = Millis(10);
  std::atomic<bool> let_go{false}, stuck_returned{false};
  auto stuck = pool_job("stuck", [&](auto&) {  // ignores its timeout: abandoned after the grace
    while (!let_go) std::this_thread::yield();
    stuck_returned = true;
    return status(JH_STATUS_OK);
  });
  stuck.timeout = Millis(10);
  std::vector<ExecJob> jobs = {pool_job("ok", [](auto&) { return status(JH_STATUS_OK); }),
                               pool_job("fails", [](auto&) { return status(JH_STATUS_FATAL, "no"); }),
                               pool_job("crashes", throws), timed_out, stuck,
                               pool_job("last", [](auto&) { return status(JH_STATUS_OK); }, 0, 1, -1)};
  Executor ex(std::move(jobs), pool_options(pools, 3));
  auto r = ex.run();
  CHECK(r.jobs[0].state == JobState::success);
  CHECK(r.jobs[1].state == JobState::failed);
  CHECK(r.jobs[2].state == JobState::failed);
  CHECK(r.jobs[3].state == JobState::failed);
  CHECK(r.jobs[4].state == JobState::failed);
  CHECK(r.jobs[5].state == JobState::success);  // after all of them, in a pool of one
  CHECK(all_pools_full(pools));
  let_go = true;
  CHECK(eventually([&] { return stuck_returned.load(); }));
}

TEST_CASE("executor pools: a job waiting for its retry holds no slot", "[pools]") {
  PoolSet pools = one_pool(1);
  auto retried = pool_job("retried", [](auto&) { return status(JH_STATUS_RETRY, "later"); }, 0, 1, 10);
  retried.retry.retries = 1;
  retried.retry.delay = Millis(3600000);
  std::atomic<bool> other_ran{false};
  auto other = pool_job("other", [&](auto&) {
    other_ran = true;
    return status(JH_STATUS_OK);
  });
  Executor ex({retried, other}, pool_options(pools, 1));  // "retried" goes first
  auto r = run_async(ex);
  REQUIRE(eventually([&] { return other_ran.load(); }));  // while "retried" waits an hour
  ex.cancel();
  auto result = r.get();
  CHECK(result.jobs[0].state == JobState::cancelled);
  CHECK(result.jobs[1].state == JobState::success);
  CHECK(all_pools_full(pools));
}

TEST_CASE("executor pools: a cancelled run stops waiting at once, even while another run holds the pool", "[pools]") {
  PoolSet pools = one_pool(1);
  std::atomic<bool> holding{false};
  Executor holder({pool_job("holder", [&](const AttemptInput& in) {
                    holding = true;
                    return wait_for_cancel(in);
                  })},
                  pool_options(pools));
  auto rh = run_async(holder);
  REQUIRE(eventually([&] { return holding.load(); }));

  Executor cancelled_run({pool_job("w1", wait_for_cancel), pool_job("w2", wait_for_cancel)},
                         pool_options(pools));
  auto rc = run_async(cancelled_run);
  REQUIRE(eventually([&] { return usage_of(pools, 0).waiting == 2; }));
  cancelled_run.cancel();
  auto c = rc.get();
  CHECK(c.jobs[0].state == JobState::cancelled);
  CHECK(c.jobs[1].state == JobState::cancelled);
  CHECK(usage_of(pools, 0).waiting == 0);

  // fail_fast: the failure cancels the run's jobs that wait for the pool.
  auto opt = pool_options(pools);
  opt.fail_fast = true;
  ExecJob failing = pool_job("failing", [](auto&) { return status(JH_STATUS_FATAL, "boom"); });
  failing.pool_slots = 0;
  Executor fast({failing, pool_job("waits", wait_for_cancel)}, opt);
  auto f = fast.run();
  CHECK(f.cancelled == CancelReason::fail_fast);
  CHECK(f.jobs[1].state == JobState::skipped);

  holder.cancel();
  CHECK(rh.get().jobs[0].state == JobState::cancelled);
  CHECK(all_pools_full(pools));
}

TEST_CASE("executor pools: a deferred attempt keeps its slots until it ends", "[pools][deferral]") {
  PoolSet pools = one_pool(1);
  std::atomic<int> polls{0};
  std::atomic<bool> finish{false}, deferred_done{false}, next_saw_done{false};
  auto deferring = pool_job("deferring", [](auto&) {
    auto r = status(JH_STATUS_DEFERRED);
    r.handle = "remote-1";
    r.delay = Millis(1);
    return r;
  });
  deferring.poll = [&](AttemptInput&, std::string_view) {
    ++polls;
    if (!finish) {
      auto r = status(JH_STATUS_DEFERRED);
      r.keep_handle = true;
      r.delay = Millis(1);
      return r;
    }
    deferred_done = true;
    return status(JH_STATUS_OK);
  };
  auto next = pool_job("next", [&](auto&) {
    next_saw_done = deferred_done.load();
    return status(JH_STATUS_OK);
  }, 0, 1, -1);
  Executor ex({deferring, next}, pool_options(pools, 1));  // one worker: "deferring" first
  auto r = run_async(ex);
  REQUIRE(eventually([&] { return polls >= 3; }));
  auto u = usage_of(pools, 0);
  CHECK(u.in_use == 1);
  CHECK(u.waiting == 1);
  finish = true;
  auto result = r.get();
  CHECK(result.ok());
  CHECK(next_saw_done.load());
  CHECK(all_pools_full(pools));
}
