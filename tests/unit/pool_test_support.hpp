// Helpers of the pool tests: executor jobs in a pool, runs in the background, pool usage.
#pragma once

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "exec/executor.hpp"
#include "resources/pool_set.hpp"
#include "support.hpp"

namespace jobhost::test {

inline AttemptResult status(jh_status s, std::string msg = "") {
  AttemptResult r;
  r.status = s;
  r.error = std::move(msg);
  return r;
}

inline bool cancelled(const AttemptInput& in) {
  return (in.cancel && in.cancel->load()) || in.cancel_all->load();
}

// Blocks until the attempt is cancelled (a timeout or the run's cancel).
inline AttemptResult wait_for_cancel(const AttemptInput& in) {
  while (!cancelled(in)) std::this_thread::yield();
  return status(JH_STATUS_CANCELLED);
}

inline ExecJob pool_job(std::string name, std::function<AttemptResult(const AttemptInput&)> run,
                        uint32_t pool = 0, int slots = 1, double priority = 0) {
  ExecJob j;
  j.name = std::move(name);
  j.run = std::move(run);
  j.retry.delay = Millis(0);
  j.retry.jitter = false;
  j.pool = pool;
  j.pool_slots = slots;
  j.priority = priority;
  return j;
}

inline ExecOptions pool_options(PoolSet& pools, int parallel = 2) {
  ExecOptions o;
  o.max_parallel = parallel;
  o.run_id = "r";
  o.pipeline = "p";
  o.logical_date = "2026-11-28";
  o.cancel_grace = Millis(20);
  o.pools = &pools;
  return o;
}

inline std::future<ExecResult> run_async(Executor& ex) {
  return std::async(std::launch::async, [&ex] { return ex.run(); });
}

// True when no slot is held and nobody waits, in every pool.
inline bool all_pools_full(const PoolSet& pools) {
  for (auto& u : pools.usage())
    if (u.in_use != 0 || u.waiting != 0) return false;
  return true;
}

inline PoolSet::Usage usage_of(const PoolSet& pools, uint32_t pool) { return pools.usage().at(pool); }

// A latch the test opens; attempts wait on it.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

}  // namespace jobhost::test
