// What the host and a worker process say to each other over a FrameChannel.
//
//   host -> worker: attempt (one entry call: run, poll or cancel), cancel (the attempt should
//                   stop: is_cancelled() turns true), reply (to an ask).
//   worker -> host: ready (plugin loaded) or start_failed, log, progress, ask_input /
//                   ask_input_keys / ask_upstream (the host answers from the run), limit_hit
//                   (sent from a fatal-signal handler: which limit the worker ran into),
//                   ask_secret / ask_connection (the extensions, resolved by the host), and
//                   result (what the entry returned, with the attempt's resource usage).
//
// Config, metrics, outputs, errors and deferral travel in the attempt and result frames, so a
// plugin sees the same host services in both modes and cannot tell which one it runs in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "exec/attempt.hpp"

namespace jobhost::isolation {

enum Kind : uint8_t {
  kAttempt = 1,
  kCancel = 2,
  kReply = 3,
  kReady = 10,
  kStartFailed = 11,
  kLog = 12,
  kProgress = 13,
  kAskInput = 14,
  kAskInputKeys = 15,
  kAskUpstream = 16,
  kLimitHit = 17,
  kResult = 18,
  kAskSecret = 19,
  kAskConnection = 20,
};

enum class EntryPoint { run, poll, cancel };

// Limits applied to the worker for one attempt (rlimits; see docs/isolation.md).
struct AttemptLimits {
  std::optional<uint64_t> memory_bytes;
  std::optional<double> cpu_seconds;  // total CPU time the attempt may use
  std::optional<int64_t> open_files;
};

struct AttemptRequest {
  EntryPoint entry = EntryPoint::run;
  std::string job_type;  // "plugin.type"
  std::string run_id, pipeline, job_name, logical_date, scratch_dir;
  uint32_t attempt = 1, max_attempts = 1;
  int64_t deadline_unix_ms = 0;
  std::string config_toml;  // the resolved [config], as TOML
  std::string idempotency_key;
  uint32_t poll_count = 0;
  bool reattached = false;
  int64_t started_unix_ms = 0;
  std::string handle;  // poll and cancel
  AttemptLimits limits;
};

struct AttemptReply {
  AttemptResult result;  // with result.usage: what the attempt used, measured in the worker
  int64_t open_files = 0;  // the worker's open descriptors after the attempt
  int64_t rss_bytes = 0;   // the worker's resident memory after the attempt
};

std::string encode(const AttemptRequest& r);
AttemptRequest decode_request(const std::string& payload);  // throws std::runtime_error
std::string encode(const AttemptReply& r);
AttemptReply decode_reply(const std::string& payload);       // throws std::runtime_error

}  // namespace jobhost::isolation
