// Many executors share three pools while their jobs succeed, fail, crash, time out, hang past
// the cancel grace, defer, and their runs are cancelled or fail fast: no pool ever lets more
// attempts in than its slots, and every pool is full again at the end. The plan of jobs comes
// from a fixed seed; which thread wins a race does not change what is checked.
#include <catch2/catch.hpp>

#include <array>
#include <random>

#include "pool_test_support.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

enum class Behaviour { ok, flaky, fatal, crash, timeout, hang, defer };

constexpr std::array<int, 3> kPoolSizes = {1, 2, 3};

struct World {
  PoolSet pools{{{"a", kPoolSizes[0], 1, 1}, {"b", kPoolSizes[1], 2, 1}, {"c", kPoolSizes[2], 3, 1}}};
  std::array<std::atomic<int>, 3> in_progress{};  // slots of the attempts counted below
  std::atomic<bool> over_limit{false};
  Gate hung_release;
  std::atomic<int> hung{0};
  std::vector<std::unique_ptr<Executor>> executors;
  std::array<std::atomic<int>, 4> started{};
  std::array<int, 4> cancel_after{0, 25, 0, 60};  // cancel the run at its n-th attempt start
};

// The slots an attempt holds, counted while its run() call lasts (before the executor gives
// them back, so the next holder's count starts after this one's ended).
struct Counted {
  World& w;
  int pool, slots;
  Counted(World& world, int p, int s) : w(world), pool(p), slots(s) {
    if (pool >= 0 && (w.in_progress[pool] += slots) > kPoolSizes[pool]) w.over_limit = true;
  }
  ~Counted() {
    if (pool >= 0) w.in_progress[pool] -= slots;
  }
};

AttemptResult deferred(bool keep) {
  auto r = status(JH_STATUS_DEFERRED);
  r.handle = "remote";
  r.keep_handle = keep;
  r.delay = Millis(1);
  return r;
}

void note_start(World& w, size_t run) {
  if (++w.started[run] == w.cancel_after[run]) w.executors[run]->cancel();
}

// The attempt of behaviour `b`: deferring and hanging attempts are not counted (a hanging one
// goes on after it is abandoned and its slots come back; a deferred one holds them between
// calls, which the executor's own tests check).
void give_behaviour(ExecJob& j, Behaviour b, World& w, size_t run, int pool, int slots) {
  auto counted = [&w, run, pool, slots](auto body) {
    return [&w, run, pool, slots, body](const AttemptInput& in) {
      note_start(w, run);
      Counted c(w, pool, slots);
      return body(in);
    };
  };
  switch (b) {
    case Behaviour::ok: j.run = counted([](auto&) { return status(JH_STATUS_OK); }); break;
    case Behaviour::flaky:
      j.retry.retries = 2;
      j.run = counted([](const AttemptInput& in) { return status(in.attempt < 3 ? JH_STATUS_RETRY : JH_STATUS_OK); });
      break;
    case Behaviour::fatal: j.run = counted([](auto&) { return status(JH_STATUS_FATAL, "bad"); }); break;
    case Behaviour::crash:
      j.run = counted([](auto&) -> AttemptResult { throw std::runtime_error("worker died"); });
      break;
    case Behaviour::timeout:
      j.timeout = Millis(5);
      j.run = counted(wait_for_cancel);
      break;
    case Behaviour::hang:
      j.timeout = Millis(5);
      j.run = [&w, run](const AttemptInput&) {
        note_start(w, run);
        ++w.hung;
        w.hung_release.wait();  // ignores cancellation: abandoned after the grace
        --w.hung;
        return status(JH_STATUS_OK);
      };
      break;
    case Behaviour::defer: {
      auto polls = std::make_shared<std::atomic<int>>(0);
      j.run = [&w, run](const AttemptInput&) {
        note_start(w, run);
        return deferred(false);
      };
      j.poll = [polls](AttemptInput&, std::string_view) {
        return ++*polls % 3 ? deferred(true) : status(JH_STATUS_OK);
      };
      j.cancel_remote = [](AttemptInput&, std::string_view) { return status(JH_STATUS_OK); };
      break;
    }
  }
}

std::vector<ExecJob> random_jobs(std::mt19937& rng, World& w, size_t run, int n) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::array<Behaviour, 10> behaviours = {Behaviour::ok,    Behaviour::ok,      Behaviour::ok,
                                                Behaviour::flaky, Behaviour::fatal,   Behaviour::crash,
                                                Behaviour::timeout, Behaviour::timeout, Behaviour::hang,
                                                Behaviour::defer};
  std::vector<ExecJob> jobs;
  for (int i = 0; i < n; ++i) {
    const int pool = pick(0, 4) == 0 ? -1 : pick(0, 2);
    const int slots = pool < 0 ? 0 : pick(1, kPoolSizes[pool]);
    ExecJob j = pool_job("j" + std::to_string(i), nullptr, pool < 0 ? 0 : pool, slots, pick(-2, 2));
    j.retry.delay = Millis(pick(0, 3));
    for (int k = pick(0, 2); k > 0 && i > 0; --k) {
      auto p = static_cast<uint32_t>(pick(std::max(0, i - 10), i - 1));
      if (std::find(j.preds.begin(), j.preds.end(), p) == j.preds.end()) j.preds.push_back(p);
    }
    if (pick(0, 1)) j.trigger = TriggerRule::all_done;  // failures do not end everything
    give_behaviour(j, behaviours[pick(0, behaviours.size() - 1)], w, run, pool, slots);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

bool settled(JobState s) {
  return s == JobState::success || s == JobState::failed || s == JobState::skipped ||
         s == JobState::cancelled || s == JobState::upstream_failed;
}

}  // namespace

TEST_CASE("executor pools: random failures, timeouts, hangs and cancels leave every pool full", "[pools][random]") {
  World w;
  std::mt19937 rng(20261128);
  for (size_t run = 0; run < 4; ++run) {
    ExecOptions opt = pool_options(w.pools, 3);
    opt.cancel_grace = Millis(10);
    opt.fail_fast = run == 2;
    opt.run_id = "r" + std::to_string(run);
    w.executors.push_back(std::make_unique<Executor>(random_jobs(rng, w, run, 80), opt));
  }
  std::vector<std::future<ExecResult>> results;
  for (auto& ex : w.executors) results.push_back(run_async(*ex));
  size_t jobs = 0;
  for (auto& r : results) {
    auto result = r.get();
    for (auto& j : result.jobs) CHECK(settled(j.state));
    jobs += result.jobs.size();
  }
  CHECK(jobs == 320);
  CHECK(w.started[1] >= w.cancel_after[1]);  // the cancels happened
  CHECK_FALSE(w.over_limit.load());
  CHECK(all_pools_full(w.pools));
  w.hung_release.release();
  CHECK(eventually([&] { return w.hung.load() == 0; }));
}
