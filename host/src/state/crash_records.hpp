// Crash records: what a host's fatal-signal handler (exec/crash_guard.hpp) leaves next to the
// run store, and what the next start reads from them to record truthfully why the attempts the
// dead host was running ended.
//
// A host with a store appends, when a fatal signal ends it, one line to
// <folder of the store>/crashes/<pid>.crash:
//   jobhost-crash 1 <TAB> pid <TAB> signal <TAB> SIGNAME <TAB> run id <TAB> try <TAB> job <TAB> attempt
// The last four fields are empty when the signal came outside any job (a host bug). A line
// that is cut short or malformed is ignored: the attempts then fall back to "host lost".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jobhost::state {

inline constexpr const char* kCrashLineTag = "jobhost-crash 1";

struct CrashRecord {
  int64_t pid = 0;
  int signal = 0;
  std::string signal_name;  // SIGSEGV, ...
  std::string run_id;       // empty: outside any job
  int try_number = 0;
  std::string job;
  int attempt = 0;

  bool in_job() const { return !job.empty(); }
  // "signal 11 (SIGSEGV)"
  std::string signal_text() const;
};

// The crash folder of the store at `store_path`: "<its folder>/crashes".
std::string crash_dir_for_store(const std::string& store_path);
// The crash file of process `pid` in `crash_dir`.
std::string crash_file_path(const std::string& crash_dir, int64_t pid);

// The well-formed records of process `pid`'s crash file; none when the file is missing or
// unreadable.
std::vector<CrashRecord> read_crash_records(const std::string& crash_dir, int64_t pid);

// Why the attempts that a dead host left running ended, from its crash file: the host's last
// record (it died of that signal). Without one, every attempt was simply "host lost".
class CrashVerdict {
 public:
  CrashVerdict() = default;
  // `records`: the dead host's; `run_id`/`try_number`: the try whose attempts are judged.
  CrashVerdict(const std::vector<CrashRecord>& records, std::string run_id, int try_number);

  bool crashed() const { return crashed_; }
  // The error of attempt (job, attempt) of that try: "host crashed during job X: signal 11
  // (SIGSEGV)" for the attempt that crashed, "host lost (it crashed during job X: ...)" for the
  // others that were running then, "host lost" when the host left no record.
  std::string error_for(const std::string& job, int attempt) const;
  // "host crashed during job X: signal 11 (SIGSEGV)" (or "... outside any job ..."); "" when
  // the host left no record.
  std::string summary() const;
  // The record when it names an attempt of the judged try (the one that crashed); else null.
  const CrashRecord* crashed_attempt() const {
    return this_try_ && record_.in_job() ? &record_ : nullptr;
  }

 private:
  bool crashed_ = false;
  bool this_try_ = false;  // the record names an attempt of the judged try
  CrashRecord record_;
};

}  // namespace jobhost::state
