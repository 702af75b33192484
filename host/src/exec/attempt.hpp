// Calls one job type entry (run, poll or cancel) in this process for one attempt and collects
// what it reported.
#pragma once

#include <jobhost/abi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "exec/host_services.hpp"
#include "plugins/plugin_registry.hpp"
#include "util/attempt_usage.hpp"

namespace jobhost {

// Borrowed for the duration of the call.
struct AttemptInput {
  std::string_view run_id;
  std::string_view pipeline;
  std::string_view job_name;
  std::string_view logical_date;
  std::string_view scratch_dir;
  uint32_t attempt = 1;
  uint32_t try_number = 0;  // the run's try (0: not known); for crash records
  uint32_t max_attempts = 1;
  int64_t deadline_unix_ms = 0;
  const toml::table* config = nullptr;  // the job's resolved [config]; null = empty
  const std::atomic<bool>* cancel = nullptr;      // this attempt (timeouts)
  const std::atomic<bool>* cancel_all = nullptr;  // the whole run (fail_fast, signals)
  jh_job_ctx::LogSink log;              // null: spdlog, tagged "<run id> <job>"
  jh_job_ctx::InputLookup inputs;
  jh_job_ctx::UpstreamList upstreams;
  jh_job_ctx::InputKeys input_keys;
  // ABI 1.1 facts (jh_run_info).
  std::string_view idempotency_key;
  uint32_t poll_count = 0;   // 0 for run(); n for the attempt's n-th poll()
  bool reattached = false;
  int64_t started_unix_ms = 0;
};

struct AttemptResult {
  jh_status status = JH_STATUS_FATAL;
  std::string error;  // empty on success
  std::map<std::string, double, std::less<>> metrics;
  std::map<std::string, std::string, std::less<>> outputs;
  // JH_STATUS_DEFERRED only: poll again after `delay` with `handle` (the current handle when
  // keep_handle).
  std::string handle;
  bool keep_handle = false;
  std::chrono::milliseconds delay{0};
  // Set by the executor when the attempt ends after deferring: `handle` is then its last
  // handle, with its idempotency key and number of polls.
  bool was_deferred = false;
  bool reattached = false;
  std::string idempotency_key;
  uint32_t polls = 0;
  // What the attempt used (docs/isolation.md#resource-accounting): set by run_attempt and the
  // other entries (thread mode, exec/thread_usage.hpp) or from the worker's reply (process
  // mode); unknown (-1) when not measured: the attempt never answered, or ended within 1 ms in
  // thread mode. A deferred attempt's is the sum over its calls (the executor adds them up).
  AttemptUsage usage{};
};

// Calls the job type's run() with a fresh jh_job_ctx. Never throws; an unknown status from
// a plugin becomes a fatal failure, and so does JH_STATUS_DEFERRED without a successful
// defer() (or from a job type without a poll entry), with a message naming the plugin.
AttemptResult run_attempt(const JobTypeRef& type, const AttemptInput& in);
// The same for poll() with the attempt's handle (type.can_defer must hold).
AttemptResult poll_attempt(const JobTypeRef& type, const AttemptInput& in, std::string_view handle);
// Calls cancel() with the handle (type.can_cancel must hold). Its status is OK when the remote
// work stopped; a failure carries the plugin's message. Never returns DEFERRED.
AttemptResult cancel_attempt(const JobTypeRef& type, const AttemptInput& in,
                             std::string_view handle);


}  // namespace jobhost
