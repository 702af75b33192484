// Thread mode's resource accounting: the CPU time of the thread that runs an attempt, and the
// host process's peak resident memory (one address space: a thread has no peak of its own).
//
// It must cost next to nothing: a 100,000-job pipeline measures every attempt, and a syscall
// costs about as much as the executor spends on a whole job (1-2 us in VMs). getrusage's
// thread times only advance with the scheduler tick (1-10 ms), so an attempt that ends within
// a millisecond would read as 0 anyway: such attempts are not measured (unknown), and cost no
// syscall when the thread read its times within the last 100 us. Longer attempts cost one or
// two getrusage(RUSAGE_THREAD) calls; nothing reads /proc.
#pragma once

#include <chrono>

#include "util/attempt_usage.hpp"

namespace jobhost {

class ThreadUsageMeter {
 public:
  // A reading this recent (from this thread's previous attempt) stands in for a new one: what
  // the thread did in between, the executor's bookkeeping, is counted with the attempt.
  static constexpr std::chrono::microseconds kReuseFor{100};
  // Attempts that end sooner than this after their start reading are not measured.
  static constexpr std::chrono::milliseconds kMeasureFrom{1};

  // Takes (or reuses) the calling thread's CPU times.
  ThreadUsageMeter();
  // On the same thread: the CPU times since the start and the process's peak RSS so far; all
  // unknown (-1) for an attempt shorter than kMeasureFrom, or when getrusage failed.
  AttemptUsage finish();

 private:
  double user_ = -1, system_ = -1;
  std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace jobhost
