// Runs one attempt of one job type in this process and collects what it reported.
#pragma once

#include <jobhost/abi.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "exec/host_services.hpp"
#include "plugins/plugin_registry.hpp"

namespace jobhost {

// Borrowed for the duration of run_attempt().
struct AttemptInput {
  std::string_view run_id;
  std::string_view pipeline;
  std::string_view job_name;
  std::string_view logical_date;
  std::string_view scratch_dir;
  uint32_t attempt = 1;
  uint32_t max_attempts = 1;
  int64_t deadline_unix_ms = 0;
  const toml::table* config = nullptr;  // the job's resolved [config]; null = empty
  const std::atomic<bool>* cancel = nullptr;      // this attempt (timeouts)
  const std::atomic<bool>* cancel_all = nullptr;  // the whole run (fail_fast, signals)
  jh_job_ctx::LogSink log;              // null: spdlog, tagged "<run id> <job>"
  jh_job_ctx::InputLookup inputs;
};

struct AttemptResult {
  jh_status status = JH_STATUS_FATAL;
  std::string error;  // empty on success
  std::map<std::string, double, std::less<>> metrics;
  std::map<std::string, std::string, std::less<>> outputs;
};

// Calls the job type's run() with a fresh jh_job_ctx. Never throws; an unknown status from
// a plugin becomes a fatal failure.
AttemptResult run_attempt(const JobTypeRef& type, const AttemptInput& in);

}  // namespace jobhost
