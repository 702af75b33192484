// A true record when a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) ends a host that
// runs jobs on its own threads. The process still dies as it would have (the same signal: exit
// status 128+N, a core dump where enabled), but first says on stderr which job of which run was
// running, and appends that to its crash file next to the run store, which the next start of
// the run reads (state/crash_records.hpp) to record the attempt as crashed, not just lost.
//
// The handler only uses async-signal-safe calls: everything it writes was formatted before (the
// attempt's text when the plugin is called) and its file was opened at install.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jobhost::crash_guard {

// Installs the handlers; once per process (later calls do nothing). `crash_dir` is the run
// store's crash folder (state::crash_dir_for_store), created here, where this process's crash
// file is opened now; empty: no store, the report goes to stderr only. A folder or file that
// cannot be made is logged and leaves stderr only. Call from a command's main thread (`run`,
// `run-job`, `serve`) before jobs start; a library embedding jobhost keeps its own handlers.
void install(const std::string& crash_dir);

// True once install() ran in this process.
bool installed();

// While alive, a fatal signal on this thread is reported as a crash during this attempt. Costs
// one relaxed load when nothing is installed; else copies the facts into a fixed per-thread
// buffer (no allocation), and gives the thread an alternate signal stack the first time, so a
// job that overflows its stack is reported too. Not nested: one plugin call per thread.
class AttemptScope {
 public:
  AttemptScope(std::string_view pipeline, std::string_view run_id, uint32_t try_number,
               std::string_view job, uint32_t attempt);
  ~AttemptScope();
  AttemptScope(const AttemptScope&) = delete;
  AttemptScope& operator=(const AttemptScope&) = delete;

 private:
  bool armed_ = false;
};

}  // namespace jobhost::crash_guard
