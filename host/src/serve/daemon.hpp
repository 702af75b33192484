// `jobhost serve`: one process that schedules every pipeline of a folder on the executor and
// run store that `jobhost run` uses. It reloads changed files, runs due ticks (catch-up,
// max_active_runs, start/end dates), data-aware triggers (after other pipelines), manual
// triggers from the API, and after a crash neither repeats nor loses a tick: the last tick of
// each pipeline is in the store (tick_store.hpp) and its run is resumed when it did not end.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/host_config.hpp"
#include "resources/pool_config.hpp"
#include "serve/catalog.hpp"
#include "serve/daemon_control.hpp"
#include "serve/daemon_metrics.hpp"
#include "serve/file_trigger.hpp"
#include "serve/tick_store.hpp"

namespace jobhost {
class PipelineRun;
class PluginRegistry;
class PoolSet;
}

namespace jobhost::state {
class RunStore;
}

namespace jobhost::serve {

// A connection of its own to the run store at `path`.
std::unique_ptr<state::RunStore> open_run_store(const std::string& path);

struct DaemonOptions {
  std::string pipelines_dir = "pipelines";
  std::string store_path;
  std::string scratch_root = ".jobhost/scratch";
  std::optional<int> max_parallel, max_deferred;    // host config defaults
  std::vector<PoolConfig> pools;                    // [pools]: shared by every run
  std::chrono::milliseconds cancel_grace{5000};     // per attempt, as for `run`
  std::chrono::milliseconds drain_grace{30000};     // SIGTERM: runs may finish this long
  std::chrono::milliseconds reload_interval{2000};  // how often the folder is rescanned
  // A scheduled run is prepared (locked, recorded, its threads made) this long before its
  // tick and starts its jobs at the tick: 1,000 pipelines on the same minute start on time.
  std::chrono::milliseconds prepare_ahead{2000};
  std::map<std::string, Isolation> plugin_isolation;  // [plugins.NAME] isolation
};

class Daemon : public DaemonControl {
 public:
  Daemon(DaemonOptions options, const PluginRegistry& plugins);
  ~Daemon() override;

  // Runs the scheduling loop until stop(); then drains. Call once, from one thread.
  void run();
  void request_reload();  // SIGHUP: rescan now [thread-safe]
  void stop();            // SIGTERM: start nothing new, drain [thread-safe]

  // DaemonControl
  std::vector<PipelineStatus> pipelines() const override;
  std::string trigger(const TriggerRequest& request) override;
  bool cancel(const std::string& run_id) override;
  std::string store_path() const override { return options_.store_path; }
  std::string metrics_text() const override;
  bool draining() const override;

 private:
  struct Active;
  struct Launch {
    std::shared_ptr<const PipelineSpec> spec;
    std::string logical;  // YYYY-MM-DD or an ISO instant
    std::string interval_start, interval_end;
    std::vector<std::pair<std::string, std::string>> params;
    bool force = false;
    std::string why;  // "tick", "catch-up", "manual", "after a, b", "resume"
    // A scheduled tick: no job starts before it, and the lag to its first job is measured.
    std::optional<schedule::Instant> tick{};
  };

  void reload(bool log_unchanged);
  void resume_in_flight();
  void schedule_ticks(schedule::Instant now);
  void run_after_triggers();
  void run_file_triggers();
  // The run id, once the run has begun ("" when it could not: logged).
  std::shared_future<std::string> launch(Launch launch);
  void reap_finished();
  // The loop thread's own connection for reading runs, opened once.
  state::RunStore& loop_store();
  void drain();
  int active_count(const std::string& pipeline) const;
  bool is_active(const std::string& pipeline, const std::string& logical) const;
  std::chrono::steady_clock::time_point next_wake() const;

  DaemonOptions options_;
  const PluginRegistry& plugins_;
  Catalog catalog_;
  TickStore ticks_;
  DaemonMetrics metrics_;
  // Host-wide pools, one set for every pipeline and run (null: none); outlives the runs.
  std::unique_ptr<PoolSet> pools_;

  mutable std::mutex mu_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  bool reload_requested_ = false;
  bool run_ended_ = false;  // a run ended: a slot is free (catch-up goes on at once)
  std::map<std::string, schedule::Instant> watched_since_;   // by pipeline
  std::map<std::string, schedule::Instant> next_tick_;       // by pipeline
  std::map<std::string, schedule::Instant> last_tick_;       // by pipeline (as in ticks_)
  // The tick before one prepared ahead, shown as the last until that one fires.
  std::map<std::string, std::optional<schedule::Instant>> prepared_after_;
  std::map<std::string, FileTrigger> file_triggers_;         // by pipeline (loop thread only)
  std::map<std::string, std::string> fired_files_;           // as in ticks_ (loop thread only)
  std::unique_ptr<state::RunStore> loop_store_;              // loop thread only
  // The runs' store: one connection and one writer for all of them, so that their changes
  // share commits and starting a run opens nothing.
  std::unique_ptr<state::RunStore> runs_store_;
  std::vector<std::unique_ptr<Active>> active_;
};

}  // namespace jobhost::serve
