// Inside the worker process, around one attempt: its limits (rlimits, set for the attempt and
// restored after it), what it used (CPU time, peak resident memory), and what it left behind
// (children are stopped; open files and memory are reported so that the host can retire a
// worker that grew). A fatal signal while a limit applies tells the host which limit it was.
#pragma once

#include "isolation/protocol.hpp"

namespace jobhost::isolation {

// Installs the fatal-signal handlers that send kLimitHit on `fd` before the worker dies.
void install_limit_reporting(int fd);

class AttemptScope {
 public:
  AttemptScope(const AttemptLimits& limits, int fd);
  ~AttemptScope();
  AttemptScope(const AttemptScope&) = delete;
  AttemptScope& operator=(const AttemptScope&) = delete;
  // Restores the limits, stops leftover children, and fills reply's usage and worker facts.
  void finish(AttemptReply& reply);

 private:
  struct Saved;
  bool finished_ = false;
  double cpu_user_ = 0, cpu_system_ = 0;
  double children_user_ = 0, children_system_ = 0;  // of children waited for (a shell's command)
  bool memory_ = false, cpu_ = false, files_ = false;
  uint64_t old_memory_[2]{}, old_cpu_[2]{}, old_files_[2]{};
};

}  // namespace jobhost::isolation
