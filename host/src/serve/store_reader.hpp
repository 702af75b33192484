// Read-only queries of the run store for the HTTP threads. Each query borrows a connection of
// its own from a small pool (never the daemon's writer connection) and reads one snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "state/run_store.hpp"

namespace jobhost::serve {

struct RunFilter {
  std::optional<std::string> pipeline;
  std::optional<std::string> status;  // running | success | failed | cancelled
  int limit = 50;
};

// When a job ran in the run's latest try: its first attempt's start to its last attempt's end,
// in Unix ms. `end_ms` is -1 while an attempt still runs or waits.
struct JobSpan {
  int64_t start_ms = -1;
  int64_t end_ms = -1;
};

struct RunTimeline {
  state::RunDetail detail;
  std::map<std::string, JobSpan> spans;  // jobs that ran in the latest try
};

class StoreReader {
 public:
  explicit StoreReader(std::string store_path);
  ~StoreReader();
  StoreReader(const StoreReader&) = delete;
  StoreReader& operator=(const StoreReader&) = delete;

  // Every query: nothing when the store file does not exist yet; throws state::StoreError
  // when it cannot be read. [thread-safe]

  // Runs matching `filter`, newest first, in full.
  std::vector<state::RunDetail> runs(const RunFilter& filter);
  std::optional<state::RunDetail> run(const std::string& run_id);
  // The run and when each of its jobs ran.
  std::optional<RunTimeline> run_timeline(const std::string& run_id);
  // The newest `limit` runs of each pipeline named, newest first, without counts_by_state
  // (cheap enough for a thousand pipelines).
  std::map<std::string, std::vector<state::RunSummary>> recent_runs(
      const std::vector<std::string>& pipelines, int limit);

  const std::string& path() const { return path_; }

 private:
  struct Pool;
  std::string path_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace jobhost::serve
