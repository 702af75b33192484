// Runs one entry of a job type (run, poll or cancel) in a warm worker process and serves the
// host side of the ABI for it: logs, inputs, upstream names and cancellation, with config,
// outputs, metrics, errors and deferral carried in the attempt and result frames.
//
// A worker that dies is a failed attempt with its cause ("killed by signal 11 (SIGSEGV)",
// "exited with code 3", "memory limit 512MiB exceeded"), retryable: the retry policy applies.
// A cancelled or timed-out attempt is asked to stop, then its worker gets SIGTERM at half the
// cancel grace and SIGKILL at the grace: the call always returns, no thread is abandoned.
#pragma once

#include <chrono>
#include <string_view>

#include "exec/attempt.hpp"
#include "isolation/protocol.hpp"

namespace jobhost::isolation {

struct ProcessAttemptOptions {
  AttemptLimits limits;
  std::chrono::milliseconds cancel_grace{5000};
  std::string memory_limit_text;  // as written ("512MiB"), for messages
};

AttemptResult run_in_worker(const JobTypeRef& type, const AttemptInput& in, EntryPoint entry,
                            std::string_view handle, const ProcessAttemptOptions& options);

// Whether the plugin file is one jobhost ships (in its own plugin folder): those default to
// thread isolation, every other plugin to process isolation.
bool is_shipped_plugin(const std::string& plugin_file);

}  // namespace jobhost::isolation
