// What the daemon's HTTP side (REST API, status page, metrics) asks of the daemon. The
// scheduler implements it (scheduler.cpp); the HTTP server only sees this interface, so it can
// be tested against a fake.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jobhost::serve {

struct PipelineStatus {
  std::string name;
  std::string file;
  std::string schedule;                  // cron expression, "@daily", or "none"
  std::string timezone;                  // IANA name
  bool valid = true;                     // the file on disk validates
  std::string error;                     // why not (file:line:col: error: ...), when !valid
  std::optional<std::string> next_fire;  // ISO instant (UTC), when scheduled
  std::optional<std::string> last_tick;  // the last scheduled tick (ISO instant)
  int active_runs = 0;                   // runs in progress in this daemon
};

// A request the daemon refuses; `status` is the HTTP status to answer (400, 404, 409).
struct ControlError : std::runtime_error {
  ControlError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

struct TriggerRequest {
  std::string pipeline;
  std::string date;  // YYYY-MM-DD or an ISO instant; empty: now
  std::map<std::string, std::string> params;
  bool force = false;
};

class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  // Every pipeline the daemon knows (valid or not), sorted by name. [thread-safe]
  virtual std::vector<PipelineStatus> pipelines() const = 0;
  // Starts a manual run; returns its run id. Throws ControlError (404 unknown pipeline, 400 bad
  // date or params, 409 the pipeline's file is invalid or that run is in progress). [thread-safe]
  virtual std::string trigger(const TriggerRequest& request) = 0;
  // Cancels a run in progress in this daemon; false when it is not running here. [thread-safe]
  virtual bool cancel(const std::string& run_id) = 0;
  // Path of the run store, for read-only queries from the HTTP threads (their own connection).
  virtual std::string store_path() const = 0;
  // Prometheus text exposition format 0.0.4 of the daemon's own metrics (runs and attempts by
  // state, attempt duration histogram, queue depth, deferred attempts, scheduler lag, store
  // commit latency). [thread-safe]
  virtual std::string metrics_text() const = 0;
  // True once the daemon drains (SIGTERM): /healthz then answers 503 so a load balancer or
  // supervisor stops sending work. The default suits a daemon that never drains. [thread-safe]
  virtual bool draining() const { return false; }
};

}  // namespace jobhost::serve
