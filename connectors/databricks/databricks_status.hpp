// What a Databricks Jobs 2.1 run reply means to jobhost: pure functions over the JSON of
// runs/get, so the mapping is unit-tested without a server.
//
// Terminal or not: `status.state` == TERMINATED when the run has the newer `status` object,
// else `state.life_cycle_state` is TERMINATED, SKIPPED or INTERNAL_ERROR. How it ended: the
// `status.termination_details.code` when present, else `state.result_state`:
//   SUCCESS                                   succeeded
//   SUCCESS_WITH_FAILURES                     failed (some tasks failed; only leaf tasks
//                                             succeeded), unless success_with_failures_ok
//   CANCELED, USER_CANCELED                   cancelled
//   life cycle SKIPPED, code SKIPPED/DISABLED,
//   result EXCLUDED/DISABLED                  skipped
//   anything else (FAILED, TIMEDOUT, INTERNAL_ERROR, MAXIMUM_CONCURRENT_RUNS_REACHED,
//   UPSTREAM_FAILED, RUN_EXECUTION_ERROR, ...) failed, with the run's message
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::databricks {

struct StatusOptions {
  // Treat SUCCESS_WITH_FAILURES as success (job config `success_with_failures = "succeeded"`).
  bool success_with_failures_ok = false;
};

// The run's phase, its state word, its message and the extra outputs (result_state,
// life_cycle_state, termination_code, and run_page_url when the reply has it). On a failure,
// details hold the termination code; the failed tasks' errors need more requests (engine).
RemoteStatus map_run(const boost::json::object& run, const StatusOptions& options);

struct TaskRef {
  std::string key;  // task_key
  int64_t run_id = 0;
};

// The task runs of `run` that ended failed (by the same rules as the run), in reply order.
std::vector<TaskRef> failed_tasks(const boost::json::object& run, const StatusOptions& options);

// Log lines for one failed task from its runs/get-output reply: "task K: <error>", then a few
// lines of error_trace (its first three and last two, each cut to one short line).
std::vector<std::string> task_error_lines(const std::string& task_key,
                                          const boost::json::object& output);

// `key` when it fits Databricks' 64-character idempotency_token, else a stable 64-character
// digest of it (a prefix plus hex digits of two 64-bit hashes): the same key always gives
// the same token, different keys practically never collide.
std::string idempotency_token(std::string_view key);

}  // namespace jobhost::connectors::databricks
