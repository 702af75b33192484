#include "exec/thread_usage.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace jobhost {
namespace {

using Clock = std::chrono::steady_clock;

// This thread's latest reading (user < 0: none yet).
struct Reading {
  double user = -1, system = -1;
  long peak_kib = -1;
  Clock::time_point at{};
};
thread_local Reading t_last;

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

// Linux reports the process's peak RSS (its memory's high-water mark) for RUSAGE_THREAD too,
// on the kernels we know; checked once, else the peak costs a RUSAGE_SELF call per attempt.
bool thread_reports_process_peak() {
  static const bool yes = [] {
    rusage self{}, thread{};
    if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_THREAD, &thread) != 0) return false;
    return self.ru_maxrss > 0 && thread.ru_maxrss >= self.ru_maxrss;
  }();
  return yes;
}

// Reads the thread's times into t_last; false (and t_last cleared) when getrusage fails.
bool read_thread(Clock::time_point now) {
  rusage u{};
  if (getrusage(RUSAGE_THREAD, &u) != 0) {
    t_last = {};
    return false;
  }
  t_last = {seconds(u.ru_utime), seconds(u.ru_stime), u.ru_maxrss, now};
  return true;
}

}  // namespace

ThreadUsageMeter::ThreadUsageMeter() {
  const auto now = Clock::now();
  if ((t_last.user >= 0 && now - t_last.at < kReuseFor) || read_thread(now)) {
    user_ = t_last.user;
    system_ = t_last.system;
    read_at_ = t_last.at;
  }
}

AttemptUsage ThreadUsageMeter::finish() {
  AttemptUsage usage;
  const auto now = Clock::now();
  if (user_ < 0 || now - read_at_ < kMeasureFrom || !read_thread(now)) return usage;
  // Never below zero: the kernel's user/system split of a thread's time may shift slightly.
  usage.cpu_user_seconds = std::max(0.0, t_last.user - user_);
  usage.cpu_system_seconds = std::max(0.0, t_last.system - system_);
  long peak_kib = t_last.peak_kib;
  if (!thread_reports_process_peak()) {
    rusage self{};
    peak_kib = getrusage(RUSAGE_SELF, &self) == 0 ? self.ru_maxrss : -1;
  }
  if (peak_kib > 0) usage.peak_rss_bytes = static_cast<int64_t>(peak_kib) * 1024;
  return usage;
}

}  // namespace jobhost
