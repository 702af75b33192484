// The host side of the ABI: jh_job_ctx (one job attempt) and the jh_host service table.
//
// Every service copies data in or out at the call, so the same table can later be served
// from a worker process.
#pragma once

#include <jobhost/abi.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <toml++/toml.h>

// Defined in the global namespace: abi.h declares it there as an opaque struct.
struct jh_job_ctx {
  using LogSink = std::function<void(jh_log_level, std::string_view)>;
  using InputLookup =
      std::function<std::optional<std::string>(std::string_view job, std::string_view key)>;
  // The job's index-th direct upstream job; nullopt past the last.
  using UpstreamList = std::function<std::optional<std::string_view>(uint64_t index)>;
  // The keys a succeeded upstream job published, sorted; nullopt for an unknown job or one
  // that has not succeeded.
  using InputKeys = std::function<std::optional<std::vector<std::string>>(std::string_view job)>;

  const toml::table* config = nullptr;           // the job's resolved [config]
  const std::atomic<bool>* cancel = nullptr;     // this attempt's flag (timeouts)
  const std::atomic<bool>* cancel_all = nullptr; // the run's flag (fail_fast, signals)
  // Borrowed from the caller for the attempt (no copy per attempt).
  const LogSink* log = nullptr;                  // null: spdlog, tagged with run id and job
  const InputLookup* inputs = nullptr;           // upstream outputs; null: none
  const UpstreamList* upstreams = nullptr;       // null: none
  const InputKeys* input_keys = nullptr;         // null: none
  std::string_view run_id, job_name;             // log tag: "[<run id> <job>]"
  bool can_defer = false;  // the job type has a poll entry (defer() is allowed)
  bool in_poll = false;    // a NULL handle in defer() keeps the current one
  bool in_cancel = false;  // defer() is not allowed

  std::atomic<uint32_t> progress_permyriad{0};
  std::mutex mu;                                 // guards what follows
  std::string error;
  std::string progress_note;
  std::map<std::string, double, std::less<>> metrics;
  std::map<std::string, std::string, std::less<>> outputs;
  // What defer() recorded (the plugin then returns JH_STATUS_DEFERRED); last call wins.
  bool deferred = false;
  bool keep_handle = false;     // defer() from poll() with a NULL handle
  std::string defer_handle;
  uint64_t defer_delay_ms = 0;
  std::string defer_error;      // why the last defer() was refused
};

namespace jobhost {

// The one table handed to every plugin call. Static; never NULL.
const jh_host* host_services_table();

// Where the secrets extension looks for <name> files (besides JOBHOST_SECRET_<NAME> env vars).
void set_secrets_dir(std::string dir);

// The secret <name> as the host resolves it: JOBHOST_SECRET_<NAME>, else <secrets_dir>/<name>.
std::optional<std::string> read_secret(std::string_view name);
// [connections.NAME] of the host config as JSON (connections.hpp), nullopt when unknown.
std::optional<std::string> connection_json(std::string_view name);

// In a worker process (isolation = "process") the extensions ask the host instead.
struct RemoteLookups {
  std::function<std::optional<std::string>(std::string_view name)> secret, connection;
};
void set_remote_lookups(RemoteLookups lookups);

}  // namespace jobhost
