// Thread mode's resource accounting (exec/thread_usage.hpp): an attempt long enough to measure
// gets its thread's CPU time and the process's peak RSS; a very short one costs nothing and is
// unknown.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <chrono>
#include <thread>

#include "exec/thread_usage.hpp"

using namespace jobhost;
using Clock = std::chrono::steady_clock;

namespace {

// Busy for `d` of wall time on this thread.
void spin(std::chrono::milliseconds d) {
  volatile uint64_t sink = 0;
  for (auto until = Clock::now() + d; Clock::now() < until;) sink = sink + 1;
}

}  // namespace

TEST_CASE("thread usage: an attempt of 30 ms gets its CPU time and the process's peak RSS",
          "[exec][usage]") {
  // On a fresh thread: none of this test process's other work is counted.
  AttemptUsage u;
  Clock::duration took{};
  std::thread([&] {
    const auto start = Clock::now();
    ThreadUsageMeter meter;
    spin(std::chrono::milliseconds(30));
    u = meter.finish();
    took = Clock::now() - start;
  }).join();
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  REQUIRE(u.cpu_user_seconds >= 0);
  REQUIRE(u.cpu_system_seconds >= 0);
  // The scheduler tick limits the resolution; what the thread used never exceeds the wall time.
  CHECK(u.cpu_user_seconds + u.cpu_system_seconds <=
        std::chrono::duration<double>(took).count() + 0.011);
  CHECK(u.peak_rss_bytes > 0);
  CHECK(u.peak_rss_bytes <= static_cast<int64_t>(self.ru_maxrss) * 1024);
}

TEST_CASE("thread usage: an attempt that ends at once is not measured", "[exec][usage]") {
  for (int tries = 0;; ++tries) {
    const auto start = Clock::now();
    ThreadUsageMeter meter;
    AttemptUsage u = meter.finish();
    // Only a preemption of a millisecond between the two calls could make it measurable.
    if (Clock::now() - start >= ThreadUsageMeter::kMeasureFrom && tries < 5) continue;
    CHECK_FALSE(u.known());
    break;
  }
}
