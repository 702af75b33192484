// One run of a pipeline for a logical date or time: resolves params and templates, decides what an
// earlier run already did (resume), executes the rest, and records it in the run store.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline_spec.hpp"
#include "exec/executor.hpp"
#include "plugins/plugin_registry.hpp"
#include "state/run_store.hpp"

namespace jobhost {

struct RunRequest {
  const PipelineSpec* spec = nullptr;
  const PluginRegistry* plugins = nullptr;
  // In-process job types (the fluent API), looked up before the plugins.
  const std::map<std::string, JobTypeRef, std::less<>>* local_types = nullptr;
  // What --date names: a date YYYY-MM-DD, or an ISO instant (Z or an offset), which the run
  // normalises to UTC (util/logical_time.hpp). With the pipeline it identifies the run.
  std::string logical_date;
  // The data interval the run covers, ISO instants, both or neither. Neither: what an earlier
  // try of the run recorded, else the default (a date's UTC day, an instant's [t, t]). A
  // schedule sets them to its previous fire time and this tick.
  std::string data_interval_start, data_interval_end;
  std::vector<std::pair<std::string, std::string>> param_overrides;
  int max_parallel = 0;
  int max_deferred = 0;                 // 0: the default, 10,000
  std::vector<std::string> only;        // run just these jobs (others: outputs from the store)
  bool force = false;                   // rerun everything
  std::vector<std::string> force_jobs;  // rerun these and everything downstream
  // A forced job whose attempt a lost host left deferred: true re-attaches it (run-job: an
  // engine retrying its task wants the work already started); false starts new work (--force).
  bool reattach_forced = false;
  state::RunStore* store = nullptr;     // null: in memory only
  // Host-wide pools that the jobs' attempts take slots of, shared with the process's other
  // runs; outlives the run. Null: none (a job with a pool is then refused).
  PoolSet* pools = nullptr;
  std::string scratch_root = ".jobhost/scratch";
  Millis cancel_grace{5000};
  bool log_state_changes = true;        // one info line per state change
  std::function<void(uint32_t job, JobState state)> on_state;  // progress display
  // Called once the run id is known (before any job starts; also for "nothing to do").
  std::function<void(const std::string& run_id)> on_begin;
  // A run prepared ahead of its start (the daemon's scheduled ticks): it locks, records and
  // readies everything now, starts no job before this instant, and is recorded as started
  // at it.
  std::optional<std::chrono::system_clock::time_point> start_at;
  // [plugins.NAME] isolation of the host config, by plugin name.
  std::map<std::string, Isolation> plugin_isolation;
};

struct RunReport {
  std::string run_id;
  std::string pipeline;
  std::string logical_date;  // the run's key, normalised: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ
  std::string logical_time;  // the key as an instant (a date's midnight UTC)
  std::string data_interval_start, data_interval_end;  // instants
  std::string status;  // success | failed | cancelled
  int try_number = 1;
  std::vector<std::string> names;           // job names, in spec order
  std::vector<bool> carried_over;           // not run now: earlier success, or not selected
  std::vector<bool> selected;               // false for jobs left out by --only
  std::vector<std::string> notices;         // e.g. "pipeline file changed since ..."
  ExecResult exec;  // carried-over jobs: their earlier attempt's duration, metrics and outputs
  std::vector<int> prior_attempts;          // each job's attempts in earlier tries
  std::map<std::string, std::string> params;  // the run's effective params
  std::string file_hash;
  std::string started_at, ended_at;         // ISO-8601 UTC
  int64_t duration_ms = 0;
  double exec_ms = 0;  // the executor alone, without setup (benchmarks)
  bool nothing_to_do() const;
};

// Throws InputError for bad params/dates/job names (exit 2), state::StoreError for store
// problems, and RunLocked when another live host runs the same (pipeline, date).
struct RunLocked : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PipelineRun {
 public:
  explicit PipelineRun(RunRequest request);
  ~PipelineRun();
  RunReport run();
  void cancel();  // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Today's date in UTC as YYYY-MM-DD; and a check of that format (a real calendar date).
std::string today_utc();
bool valid_logical_date(const std::string& date);

}  // namespace jobhost
