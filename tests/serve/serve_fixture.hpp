// A run store filled by running small pipelines through the real executor (the fluent API with
// a state path), plus one run left in progress, and the pipelines a FakeDaemon reports for it.
#pragma once

#include <string>
#include <vector>

#include "serve/daemon_control.hpp"

namespace jobhost::test {

struct FilledStore {
  std::string path;         // the store file
  std::string failed_run;   // daily 2026-11-28: extract, report ok; transform retried; load failed
  std::string success_run;  // daily 2026-11-27: every job succeeded
  std::string hourly_run;   // hourly 2026-11-28: succeeded
  std::string running_run;  // daily 2026-11-29: begun, extract still running
};

// Writes `dir`/state.db. Takes about half a second (the jobs sleep to spread the Gantt bars).
FilledStore fill_store(const std::string& dir);

// daily (valid, scheduled), hourly (valid) and broken (invalid, its error holds markup).
std::vector<serve::PipelineStatus> fake_pipelines();

}  // namespace jobhost::test
