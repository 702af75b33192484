// One run the daemon has in progress (daemon_runs.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exec/pipeline_run.hpp"
#include "serve/daemon.hpp"
#include "state/run_store.hpp"

namespace jobhost::serve {

// Its own thread (on the daemon's shared store); reaped once done.
struct Daemon::Active {
  std::string pipeline, logical, why;
  std::optional<schedule::Instant> tick;     // a scheduled tick's run
  std::atomic<bool> first_job_started{false};  // for the scheduler's lag
  std::shared_ptr<const PipelineSpec> spec;  // alive while the run uses it
  std::unique_ptr<PipelineRun> run;
  std::thread thread;
  std::atomic<bool> done{false};
  std::mutex mu;
  std::string run_id;  // once begun
  // Each job's state as on_state reported it, and when it last began running (metrics).
  std::mutex states_mu;
  std::vector<state::JobState> states;
  std::vector<std::chrono::steady_clock::time_point> running_since;
};

}  // namespace jobhost::serve
