#include "isolation/process_attempt.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <mutex>
#include <filesystem>
#include <sstream>

#include "exec/host_services.hpp"
#include "isolation/worker_pool.hpp"

namespace jobhost::isolation {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

AttemptRequest make_request(const JobTypeRef& type, const AttemptInput& in, EntryPoint entry,
                            std::string_view handle, const AttemptLimits& limits) {
  AttemptRequest r;
  r.entry = entry;
  r.job_type = type.qualified_name;
  r.run_id = in.run_id;
  r.pipeline = in.pipeline;
  r.job_name = in.job_name;
  r.logical_date = in.logical_date;
  r.scratch_dir = in.scratch_dir;
  r.attempt = in.attempt;
  r.max_attempts = in.max_attempts;
  r.deadline_unix_ms = in.deadline_unix_ms;
  if (in.config) {
    // As a document: the root of an inline `config = { ... }` would print as `{ ... }`.
    toml::table root = *in.config;
    root.is_inline(false);
    std::ostringstream toml_text;
    toml_text << toml::toml_formatter(root);
    r.config_toml = toml_text.str();
  }
  r.idempotency_key = in.idempotency_key;
  r.poll_count = in.poll_count;
  r.reattached = in.reattached;
  r.started_unix_ms = in.started_unix_ms;
  r.handle = handle;
  r.limits = limits;
  return r;
}

std::string found(const std::optional<std::string>& v) { return v ? "1" + *v : "0"; }

// One ask from the worker, answered from the run (the same lookups thread mode uses).
void answer(Worker& w, const AttemptInput& in, const Frame& f) {
  std::string reply = "0";
  if (f.kind == kAskInput && in.inputs) {
    const size_t nul = f.payload.find('\0');
    if (nul != std::string::npos)
      reply = found(in.inputs(std::string_view(f.payload).substr(0, nul), std::string_view(f.payload).substr(nul + 1)));
  } else if (f.kind == kAskInputKeys && in.input_keys) {
    if (auto keys = in.input_keys(f.payload)) {
      reply = "1";
      for (size_t i = 0; i < keys->size(); ++i) reply += (i ? std::string(1, '\0') : std::string()) + (*keys)[i];
    }
  } else if (f.kind == kAskSecret) {
    reply = found(read_secret(f.payload));
  } else if (f.kind == kAskConnection) {
    reply = found(connection_json(f.payload));
  } else if (f.kind == kAskUpstream && in.upstreams) {
    if (auto name = in.upstreams(std::strtoull(f.payload.c_str(), nullptr, 10))) reply = "1" + std::string(*name);
  }
  w.channel().send(kReply, reply);
}

void forward_log(const AttemptInput& in, const std::string& payload) {
  if (payload.size() < 4) return;
  jh_log_level level = 0;
  std::memcpy(&level, payload.data(), 4);
  std::string_view text = std::string_view(payload).substr(4);
  if (in.log) {
    in.log(level, text);
    return;
  }
  const auto lvl = level <= JH_LOG_DEBUG ? spdlog::level::debug
                   : level == JH_LOG_INFO ? spdlog::level::info
                   : level == JH_LOG_WARN ? spdlog::level::warn
                                          : spdlog::level::err;
  spdlog::log(lvl, "[{} {}] {}", in.run_id, in.job_name, text);
}

bool cancel_requested(const AttemptInput& in) {
  return (in.cancel && in.cancel->load()) || (in.cancel_all && in.cancel_all->load());
}

AttemptResult failure(jh_status status, std::string error) {
  AttemptResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

// Cooperative cancel first; SIGTERM at half the grace; SIGKILL at the grace.
struct Stopper {
  milliseconds grace{5000};
  std::optional<Clock::time_point> asked;
  bool termed = false, killed = false;

  void tick(Worker& w, const AttemptInput& in) {
    if (!asked) {
      if (!cancel_requested(in)) return;
      asked = Clock::now();
      w.channel().send(kCancel, "");
      return;
    }
    const auto waited = Clock::now() - *asked;
    if (!termed && waited >= grace / 2) {
      termed = true;
      w.signal_group(SIGTERM);
    }
    if (!killed && waited >= grace) {
      killed = true;
      w.signal_group(SIGKILL);
    }
  }
};

// The worker is gone before answering: the attempt failed, and the worker says why.
AttemptResult died(Worker& w, const std::string& limit_hit, const Stopper& stop,
                   const ProcessAttemptOptions& o) {
  const std::string how = w.wait_for_exit();
  if (stop.asked)  // we stopped it: a timeout or a cancel, which the executor reports
    return failure(JH_STATUS_CANCELLED, std::string("worker process ") + (stop.killed ? "killed (SIGKILL)" : stop.termed ? "stopped (SIGTERM)" : how) +
                                            " after it did not stop when asked");
  if (limit_hit == "memory")
    return failure(JH_STATUS_RETRY, "memory limit " + o.memory_limit_text + " exceeded (worker process " + how + ")");
  if (limit_hit == "cpu") return failure(JH_STATUS_RETRY, "cpu limit exceeded (worker process " + how + ")");
  // Nobody here sent that SIGKILL: the kernel's out-of-memory killer is what usually does.
  if (how == "killed by signal 9 (SIGKILL)")
    return failure(JH_STATUS_RETRY, "worker process " + how + ", likely by the out-of-memory killer");
  return failure(JH_STATUS_RETRY, "worker process " + how);
}

bool worth_keeping(const AttemptReply& r, const WorkerSettings& s, const Stopper& stop) {
  return !stop.termed && r.rss_bytes <= s.max_rss_bytes && r.open_files <= s.max_open_files;
}

AttemptResult converse(std::unique_ptr<Worker> w, const AttemptInput& in, const ProcessAttemptOptions& o) {
  Stopper stop;
  stop.grace = o.cancel_grace;
  std::string limit_hit;
  Frame f;
  for (;;) {
    // Short waits while nothing is asked of the attempt; the cancel flags are plain atomics.
    auto got = w->channel().receive(f, milliseconds(stop.asked ? 5 : 20));
    if (got == FrameChannel::Read::timeout) {
      stop.tick(*w, in);
      continue;
    }
    if (got == FrameChannel::Read::closed) return died(*w, limit_hit, stop, o);
    switch (f.kind) {
      case kLog: forward_log(in, f.payload); break;
      case kAskInput:
      case kAskInputKeys:
      case kAskUpstream:
      case kAskSecret:
      case kAskConnection: answer(*w, in, f); break;
      case kLimitHit: limit_hit = f.payload; break;
      case kResult: {
        AttemptReply reply;
        try {
          reply = decode_reply(f.payload);
        } catch (const std::exception& e) {
          return failure(JH_STATUS_FATAL, e.what());
        }
        if (worth_keeping(reply, WorkerPools::instance().settings(), stop)) WorkerPools::instance().release(std::move(w));
        return std::move(reply.result);
      }
      default: break;  // progress and anything newer: nothing to do with it here
    }
    stop.tick(*w, in);
  }
}

}  // namespace

AttemptResult run_in_worker(const JobTypeRef& type, const AttemptInput& in, EntryPoint entry,
                            std::string_view handle, const ProcessAttemptOptions& o) {
  if (o.limits.memory_bytes || o.limits.cpu_seconds || o.limits.open_files) {
    static std::once_flag told;
    std::call_once(told, [] {
      spdlog::info("limits: enforced in worker processes with rlimits (RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE); "
                   "see docs/isolation.md");
    });
  }
  const std::string request = encode(make_request(type, in, entry, handle, o.limits));
  // An idle worker may have died meanwhile (killed, OOM): one more try with a new one.
  for (int tries = 0; tries < 2; ++tries) {
    std::unique_ptr<Worker> w;
    try {
      w = WorkerPools::instance().acquire(type.plugin_file);
    } catch (const std::exception& e) {
      return failure(JH_STATUS_RETRY, e.what());
    }
    if (!w->channel().send(kAttempt, request)) continue;
    return converse(std::move(w), in, o);
  }
  return failure(JH_STATUS_RETRY, "could not hand the attempt to a worker process for " + type.plugin_file);
}

bool is_shipped_plugin(const std::string& plugin_file) {
  // jobhost's own plugin folder is <libdir>/jobhost/plugins, beside its worker executable:
  // true for the install tree and the build tree, however jobhost itself was started.
  std::error_code ec;
  const auto dir = std::filesystem::weakly_canonical(std::filesystem::path(plugin_file).parent_path(), ec);
  if (ec || dir.filename() != "plugins") return false;
  const auto lib_jobhost = dir.parent_path();
  return lib_jobhost.filename() == "jobhost" && std::filesystem::exists(lib_jobhost / "jobhost-worker", ec);
}

}  // namespace jobhost::isolation
