// Header-only C++17 layer over abi.h for plugin authors.
//
// Needs no host symbols and no Boost: a plugin built with any C++17 compiler and any
// standard library works with any jobhost host of the same ABI major.
//
//   #include <jobhost/sdk.hpp>
//   jobhost::Status hello(jobhost::Context& ctx) {
//     ctx.log_info("hello " + ctx.get_or<std::string>("name", "world"));
//     return jobhost::Status::ok();
//   }
//   JOBHOST_PLUGIN("hello", "1.0.0", "Says hello",
//                  JOBHOST_JOB(hello, "Logs a greeting", "1.0.0", "name = \"you\""));
//
// Exceptions thrown by job code never cross the ABI: the boundary turns them into a
// failure with their message, retryable by default, fatal for jobhost::FatalError.
//
// A job that waits for remote work (ABI 1.1) is a class with run(), poll() and optionally
// cancel(); run() and poll() return Deferred{handle, delay} to wait without holding a thread:
//
//   struct RemoteRun {
//     jobhost::Outcome run(jobhost::Context& ctx) const {
//       std::string id = start_remote(ctx.idempotency_key());
//       return jobhost::Deferred(id, std::chrono::seconds(30));
//     }
//     jobhost::Outcome poll(jobhost::Context& ctx, std::string_view id) const {
//       if (!finished(id)) return jobhost::Deferred::again(std::chrono::seconds(30));
//       return succeeded(id) ? jobhost::Status::ok() : jobhost::Status::retry("remote run failed");
//     }
//     void cancel(jobhost::Context& ctx, std::string_view id) const { stop_remote(id); }
//   };
//   JOBHOST_PLUGIN("remote", "1.0.0", "Remote runs",
//                  jobhost::deferrable_job<RemoteRun>("run", "Runs remotely", "1.0.0"));
//
// On a host older than ABI 1.1 the same job still works: the SDK then waits inside run().
#ifndef JOBHOST_SDK_HPP
#define JOBHOST_SDK_HPP

#include <jobhost/abi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace jobhost {

// Throw to fail the attempt without retries (bad config, bad data).
class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throw to fail the attempt with retries (the default for any other exception).
class RetryableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a job returns.
class Status {
 public:
  static Status ok() { return Status(JH_STATUS_OK, {}); }
  static Status retry(std::string message) { return Status(JH_STATUS_RETRY, std::move(message)); }
  static Status fatal(std::string message) { return Status(JH_STATUS_FATAL, std::move(message)); }
  static Status cancelled() { return Status(JH_STATUS_CANCELLED, "cancelled"); }
  static Status skipped(std::string reason = {}) {
    return Status(JH_STATUS_SKIPPED, std::move(reason));
  }

  jh_status code() const { return code_; }
  const std::string& message() const { return message_; }
  bool is_ok() const { return code_ == JH_STATUS_OK; }

 private:
  Status(jh_status code, std::string message) : code_(code), message_(std::move(message)) {}
  jh_status code_;
  std::string message_;
};

// What a deferrable job's run() or poll() returns to wait without a thread (ABI 1.1): the
// host keeps `handle` (at most 64 KiB of text, e.g. a remote run id) in its run store and
// calls poll() with it after `delay`.
class Deferred {
 public:
  Deferred(std::string handle, std::chrono::milliseconds delay)
      : handle_(std::move(handle)), delay_(delay) {}
  // From poll(): wait again with the handle it has now.
  static Deferred again(std::chrono::milliseconds delay) { return Deferred(KeepHandle{}, delay); }

  const std::optional<std::string>& handle() const { return handle_; }
  std::chrono::milliseconds delay() const { return delay_; }

 private:
  struct KeepHandle {};
  Deferred(KeepHandle, std::chrono::milliseconds delay) : delay_(delay) {}
  std::optional<std::string> handle_;  // nullopt: keep the current one
  std::chrono::milliseconds delay_;
};

// A Status or a Deferred: what run() and poll() of a deferrable job return.
class Outcome {
 public:
  Outcome(Status status) : v_(std::move(status)) {}      // NOLINT: implicit by design
  Outcome(Deferred deferred) : v_(std::move(deferred)) {}  // NOLINT
  bool deferred() const { return std::holds_alternative<Deferred>(v_); }
  const Status& status() const { return std::get<Status>(v_); }
  const Deferred& deferral() const { return std::get<Deferred>(v_); }

 private:
  std::variant<Status, Deferred> v_;
};

namespace detail {
inline jh_str to_jh(std::string_view s) { return jh_str{s.data(), s.size()}; }
inline std::string_view from_jh(jh_str s) {
  return s.data ? std::string_view(s.data, static_cast<size_t>(s.size)) : std::string_view();
}

// Calls a (buf, cap, len) host service, growing the buffer until the text fits.
template <class Call>
jh_result copy_out(Call&& call, std::string& out) {
  out.resize(256);
  for (;;) {
    uint64_t len = 0;
    jh_result r = call(out.data(), static_cast<uint64_t>(out.size()), &len);
    if (r != JH_OK) return r;
    if (len < out.size()) {
      out.resize(static_cast<size_t>(len));
      return JH_OK;
    }
    out.resize(static_cast<size_t>(len) + 1);
  }
}
}  // namespace detail

// The job's view of the host for one attempt. Cheap to copy; valid while run() lasts.
class Context {
 public:
  Context(const jh_host* host, jh_job_ctx* ctx, const jh_run_info* info)
      : host_(host), ctx_(ctx), info_(info) {}

  // --- run facts ---
  std::string_view run_id() const { return detail::from_jh(info_->run_id); }
  std::string_view pipeline() const { return detail::from_jh(info_->pipeline); }
  std::string_view job_name() const { return detail::from_jh(info_->job_name); }
  std::string_view job_type() const { return detail::from_jh(info_->job_type); }
  std::string_view logical_date() const { return detail::from_jh(info_->logical_date); }
  std::string_view scratch_dir() const { return detail::from_jh(info_->scratch_dir); }
  uint32_t attempt() const { return info_->attempt; }
  uint32_t max_attempts() const { return info_->max_attempts; }
  // The end of this attempt's timeout, if it has one.
  std::optional<std::chrono::system_clock::time_point> deadline() const {
    if (info_->deadline_unix_ms == 0) return std::nullopt;
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(info_->deadline_unix_ms));
  }
  // ABI 1.1 facts; on an older host: empty, the SDK's own poll count, false, nullopt.
  // A stable key of this attempt for engines that deduplicate requests (see abi.h).
  std::string_view idempotency_key() const {
    return JH_HAS(jh_run_info, info_, idempotency_key) ? detail::from_jh(info_->idempotency_key)
                                                       : std::string_view();
  }
  uint32_t poll_count() const {
    if (polls_) return polls_;
    return JH_HAS(jh_run_info, info_, poll_count) ? info_->poll_count : 0;
  }
  bool reattached() const {
    return JH_HAS(jh_run_info, info_, reattached) && info_->reattached != 0;
  }
  std::optional<std::chrono::system_clock::time_point> started_at() const {
    if (!JH_HAS(jh_run_info, info_, started_unix_ms) || info_->started_unix_ms == 0)
      return std::nullopt;
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(info_->started_unix_ms));
  }
  // True when the host can keep a deferred attempt without a thread (ABI 1.1 and later).
  bool can_defer() const { return JH_HAS(jh_host, host_, defer) && host_->defer != nullptr; }

  // --- logging and reporting ---
  void log(jh_log_level level, std::string_view msg) const {
    host_->log(ctx_, level, detail::to_jh(msg));
  }
  void log_debug(std::string_view msg) const { log(JH_LOG_DEBUG, msg); }
  void log_info(std::string_view msg) const { log(JH_LOG_INFO, msg); }
  void log_warn(std::string_view msg) const { log(JH_LOG_WARN, msg); }
  void log_error(std::string_view msg) const { log(JH_LOG_ERROR, msg); }
  bool cancelled() const { return host_->is_cancelled(ctx_) != 0; }
  // fraction in [0, 1].
  void progress(double fraction, std::string_view note = {}) const {
    if (!(fraction >= 0)) fraction = 0;  // also NaN
    if (fraction > 1) fraction = 1;
    host_->progress(ctx_, static_cast<uint32_t>(fraction * 10000.0), detail::to_jh(note));
  }
  void metric(std::string_view name, double value) const {
    host_->metric(ctx_, detail::to_jh(name), value);
  }

  // --- config ---
  jh_value_type type_of(std::string_view path) const {
    return host_->config_type(ctx_, detail::to_jh(path));
  }
  bool has(std::string_view path) const { return type_of(path) != JH_TYPE_NONE; }

  // T is bool, an integer type, double or std::string. nullopt when the path is absent;
  // FatalError when it has another type (a config mistake will not fix itself on retry).
  template <class T>
  std::optional<T> get(std::string_view path) const {
    jh_str p = detail::to_jh(path);
    jh_result r;
    T value{};
    if constexpr (std::is_same_v<T, bool>) {
      int32_t b = 0;
      r = host_->config_bool(ctx_, p, &b);
      value = b != 0;
    } else if constexpr (std::is_integral_v<T>) {
      int64_t i = 0;
      r = host_->config_int(ctx_, p, &i);
      if (r == JH_OK && (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
                         (i > 0 && static_cast<uint64_t>(i) >
                                       static_cast<uint64_t>(std::numeric_limits<T>::max()))))
        r = JH_E_RANGE;
      value = static_cast<T>(i);
    } else if constexpr (std::is_floating_point_v<T>) {
      double d = 0;
      r = host_->config_double(ctx_, p, &d);
      value = static_cast<T>(d);
    } else {
      static_assert(std::is_same_v<T, std::string>, "get<T>: bool, integers, double or std::string");
      r = detail::copy_out(
          [&](char* b, uint64_t cap, uint64_t* len) { return host_->config_string(ctx_, p, b, cap, len); },
          value);
    }
    if (r == JH_E_MISSING) return std::nullopt;
    if (r != JH_OK) throw FatalError(config_error(path, r));
    return value;
  }
  template <class T>
  T get_or(std::string_view path, T fallback) const {
    auto v = get<T>(path);
    return v ? *v : std::move(fallback);
  }
  std::string get_or(std::string_view path, const char* fallback) const {
    return get_or<std::string>(path, std::string(fallback));
  }
  // FatalError naming the key when it is absent.
  template <class T>
  T require(std::string_view path) const {
    auto v = get<T>(path);
    if (!v) throw FatalError("config: missing required key '" + std::string(path) + "'");
    return *v;
  }
  // Elements of an array or keys of a table; 0 when absent.
  uint64_t size_of(std::string_view path) const {
    uint64_t n = 0;
    return host_->config_size(ctx_, detail::to_jh(path), &n) == JH_OK ? n : 0;
  }
  // Keys of a table in file order; empty when absent.
  std::vector<std::string> keys(std::string_view path) const {
    std::vector<std::string> out;
    uint64_t n = size_of(path);
    if (type_of(path) != JH_TYPE_TABLE) return out;
    for (uint64_t i = 0; i < n; ++i) {
      std::string k;
      if (detail::copy_out([&](char* b, uint64_t cap, uint64_t* len) {
            return host_->config_key(ctx_, detail::to_jh(path), i, b, cap, len);
          }, k) == JH_OK)
        out.push_back(std::move(k));
    }
    return out;
  }
  // A string or an array of strings, as a list; empty when absent.
  std::vector<std::string> strings(std::string_view path) const {
    std::vector<std::string> out;
    jh_value_type t = type_of(path);
    if (t == JH_TYPE_STRING) {
      out.push_back(require<std::string>(path));
    } else if (t == JH_TYPE_ARRAY) {
      uint64_t n = size_of(path);
      for (uint64_t i = 0; i < n; ++i)
        out.push_back(require<std::string>(std::string(path) + "[" + std::to_string(i) + "]"));
    } else if (t != JH_TYPE_NONE) {
      throw FatalError("config: '" + std::string(path) + "' must be a string or an array of strings");
    }
    return out;
  }

  // --- data exchange ---
  void set_output(std::string_view key, std::string_view value) const {
    host_->output_set(ctx_, detail::to_jh(key), detail::to_jh(value));
  }
  // Numbers as their shortest decimal form that reads back to the same double ("3.5",
  // "1e-09"); std::to_string would pad to six decimals and round small values to 0.
  void set_output(std::string_view key, double value) const {
    char buf[32];
    for (int precision = 15; precision <= 17; ++precision) {
      std::snprintf(buf, sizeof buf, "%.*g", precision, value);
      if (std::strtod(buf, nullptr) == value) break;
    }
    set_output(key, std::string_view(buf));
  }
  std::optional<std::string> input(std::string_view upstream_job, std::string_view key) const {
    std::string v;
    jh_result r = detail::copy_out([&](char* b, uint64_t cap, uint64_t* len) {
      return host_->input_get(ctx_, detail::to_jh(upstream_job), detail::to_jh(key), b, cap, len);
    }, v);
    if (r != JH_OK) return std::nullopt;
    return v;
  }
  // The job's direct upstream jobs, in depends_on order (ABI 1.1; empty on an older host).
  std::vector<std::string> upstream_jobs() const {
    std::vector<std::string> out;
    if (!JH_HAS(jh_host, host_, upstream_job) || !host_->upstream_job) return out;
    for (uint64_t i = 0;; ++i) {
      std::string name;
      if (detail::copy_out([&](char* b, uint64_t cap, uint64_t* len) {
            return host_->upstream_job(ctx_, i, b, cap, len);
          }, name) != JH_OK)
        return out;
      out.push_back(std::move(name));
    }
  }
  // Every output an upstream job published (ABI 1.1; empty on an older host).
  std::map<std::string, std::string> inputs(std::string_view upstream_job) const {
    std::map<std::string, std::string> out;
    if (!JH_HAS(jh_host, host_, input_key) || !host_->input_key) return out;
    for (uint64_t i = 0;; ++i) {
      std::string key;
      if (detail::copy_out([&](char* b, uint64_t cap, uint64_t* len) {
            return host_->input_key(ctx_, detail::to_jh(upstream_job), i, b, cap, len);
          }, key) != JH_OK)
        return out;
      if (auto v = input(upstream_job, key)) out.emplace(std::move(key), std::move(*v));
    }
  }

  // A secret from the host's secret store (env or files); nullopt when unknown or when the
  // host offers no secrets extension.
  std::optional<std::string> secret(std::string_view name) const {
    auto* ext = static_cast<const jh_secrets_v1*>(host_->get_extension(JH_EXT_SECRETS));
    if (!ext || ext->struct_size < sizeof(jh_secrets_v1)) return std::nullopt;
    std::string v;
    jh_result r = detail::copy_out([&](char* b, uint64_t cap, uint64_t* len) {
      return ext->get(ctx_, detail::to_jh(name), b, cap, len);
    }, v);
    if (r != JH_OK) return std::nullopt;
    return v;
  }

  const jh_host* host() const { return host_; }
  jh_job_ctx* raw() const { return ctx_; }
  const jh_run_info* info() const { return info_; }
  // The SDK's count of polls when it waits inside run() on a host without defer.
  void set_poll_count(uint32_t n) { polls_ = n; }

 private:
  static std::string config_error(std::string_view path, jh_result r) {
    const char* why = r == JH_E_TYPE ? "has the wrong type" : r == JH_E_RANGE ? "is out of range"
                                                                              : "is invalid";
    return "config: '" + std::string(path) + "' " + why;
  }
  const jh_host* host_;
  jh_job_ctx* ctx_;
  const jh_run_info* info_;
  uint32_t polls_ = 0;
};

using JobFunction = Status (*)(Context&);

namespace detail {

// A job type as the plugin publishes it: the C struct first (standard layout), so the
// host's `self` pointer leads back to the C++ function. The chainable members declare what
// ABI 1.1 adds: JOBHOST_JOB(...).schema(R"({...})").outputs(R"({...})").doc("...").
struct JobEntry {
  jh_job_type c;
  JobFunction fn;

  // The accepted config as a JSON Schema object (abi.h: jh_job_type.config_schema).
  JobEntry schema(const char* json) const { return with([&](JobEntry& e) { e.c.config_schema = json; }); }
  // The published outputs as a JSON Schema object (abi.h: jh_job_type.outputs_schema).
  JobEntry outputs(const char* json) const { return with([&](JobEntry& e) { e.c.outputs_schema = json; }); }
  // Longer documentation (Markdown) for `jobhost describe`.
  JobEntry doc(const char* markdown) const { return with([&](JobEntry& e) { e.c.doc = markdown; }); }
  // A deferred attempt cannot be re-attached after its host was lost (abi.h: JH_JOB_NO_REATTACH).
  JobEntry no_reattach() const { return with([](JobEntry& e) { e.c.flags |= JH_JOB_NO_REATTACH; }); }

 private:
  template <class F>
  JobEntry with(F&& f) const {
    JobEntry e = *this;
    f(e);
    return e;
  }
};

// Records a failed or skipped status's message; returns its code.
inline jh_status report(const jh_host* host, jh_job_ctx* ctx, const Status& st) {
  if (!st.message().empty() && st.code() != JH_STATUS_OK) host->set_error(ctx, to_jh(st.message()));
  return st.code();
}

// Runs body() (returning a jh_status) and maps every exception onto a failure with its
// message: fatal for FatalError, retryable otherwise. Nothing crosses the ABI.
template <class Body>
jh_status guarded(const jh_host* host, jh_job_ctx* ctx, Body&& body) noexcept {
  auto fail = [&](jh_status code, std::string_view msg) {
    host->set_error(ctx, to_jh(msg));
    return code;
  };
  try {
    return body();
  } catch (const FatalError& e) {
    return fail(JH_STATUS_FATAL, e.what());
  } catch (const std::exception& e) {
    return fail(JH_STATUS_RETRY, e.what());
  } catch (...) {
    return fail(JH_STATUS_RETRY, "unknown exception");
  }
}

// Runs fn (any callable taking Context& and returning Status: a plugin's function or the
// host's in-process jobs) and maps every outcome, exceptions included, onto a status +
// message. A template in the header, so it adds nothing to the ABI.
template <class Fn>
jh_status invoke_job(Fn&& fn, const jh_host* host, jh_job_ctx* ctx,
                     const jh_run_info* info) noexcept {
  return guarded(host, ctx, [&] {
    Context context(host, ctx, info);
    return report(host, ctx, fn(context));
  });
}

inline jh_status JH_CALL run_trampoline(const jh_job_type* self, const jh_host* host,
                                        jh_job_ctx* ctx, const jh_run_info* info) {
  return invoke_job(reinterpret_cast<const JobEntry*>(self)->fn, host, ctx, info);
}

// Hands a Deferred to a host that can keep it (ABI 1.1): JH_STATUS_DEFERRED, or a fatal
// failure saying why the host refused.
inline jh_status defer_to_host(const jh_host* host, jh_job_ctx* ctx, const Deferred& d) {
  const jh_str handle = d.handle() ? to_jh(*d.handle()) : jh_str{nullptr, 0};
  const auto delay_ms = static_cast<uint64_t>(std::max<int64_t>(0, d.delay().count()));
  const jh_result r = host->defer(ctx, handle, delay_ms);
  if (r == JH_OK) return JH_STATUS_DEFERRED;
  const std::string why =
      r == JH_E_RANGE ? "cannot defer: the handle is " + std::to_string(d.handle() ? d.handle()->size() : 0) +
                            " bytes, more than the host's limit of " +
                            std::to_string(JH_MAX_HANDLE_BYTES)
                      : "cannot defer: the host refused (result " + std::to_string(r) + ")";
  host->set_error(ctx, to_jh(why));
  return JH_STATUS_FATAL;
}

// Calls job.cancel(ctx, handle) when the class has one; its Status (or OK for void).
template <class T, class = void>
struct has_cancel : std::false_type {};
template <class T>
struct has_cancel<T, std::void_t<decltype(std::declval<T&>().cancel(std::declval<Context&>(),
                                                                    std::string_view()))>>
    : std::true_type {};

template <class T>
Status cancel_remote(T& job, Context& ctx, std::string_view handle) {
  if constexpr (!has_cancel<T>::value) {
    return Status::ok();
  } else if constexpr (std::is_void_v<decltype(job.cancel(ctx, handle))>) {
    job.cancel(ctx, handle);
    return Status::ok();
  } else {
    return job.cancel(ctx, handle);
  }
}

// On a host without defer (ABI 1.0) a deferrable job waits inside run(): sleeps the delay in
// short steps (watching for cancellation), polls, and repeats until poll answers.
template <class T>
Status wait_in_run(T& job, Context& ctx, Outcome outcome) {
  std::string handle;
  uint32_t polls = 0;
  while (outcome.deferred()) {
    const Deferred& d = outcome.deferral();
    if (d.handle()) handle = *d.handle();
    const auto until = std::chrono::steady_clock::now() + d.delay();
    for (auto now = std::chrono::steady_clock::now(); now < until;
         now = std::chrono::steady_clock::now()) {
      if (ctx.cancelled()) {
        Status st = cancel_remote(job, ctx, handle);
        if (!st.is_ok()) ctx.log_warn("cancel: " + st.message());
        return Status::cancelled();
      }
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          until - now, std::chrono::milliseconds(50)));
    }
    ctx.set_poll_count(++polls);
    outcome = job.poll(ctx, std::string_view(handle));
  }
  return outcome.status();
}

// One shared instance of a deferrable job class per plugin: its methods run concurrently
// for different jobs, like a job function.
template <class T>
T& job_instance() {
  static T instance;
  return instance;
}

template <class T>
jh_status JH_CALL deferrable_run(const jh_job_type*, const jh_host* host, jh_job_ctx* ctx,
                                 const jh_run_info* info) {
  return guarded(host, ctx, [&] {
    Context context(host, ctx, info);
    Outcome o = job_instance<T>().run(context);
    if (!o.deferred()) return report(host, ctx, o.status());
    if (context.can_defer()) return defer_to_host(host, ctx, o.deferral());
    return report(host, ctx, wait_in_run(job_instance<T>(), context, std::move(o)));
  });
}

template <class T>
jh_status JH_CALL deferrable_poll(const jh_job_type*, const jh_host* host, jh_job_ctx* ctx,
                                  const jh_run_info* info, jh_str handle) {
  return guarded(host, ctx, [&] {
    Context context(host, ctx, info);
    Outcome o = job_instance<T>().poll(context, from_jh(handle));
    return o.deferred() ? defer_to_host(host, ctx, o.deferral()) : report(host, ctx, o.status());
  });
}

template <class T>
jh_status JH_CALL deferrable_cancel(const jh_job_type*, const jh_host* host, jh_job_ctx* ctx,
                                    const jh_run_info* info, jh_str handle) {
  return guarded(host, ctx, [&] {
    Context context(host, ctx, info);
    return report(host, ctx, cancel_remote(job_instance<T>(), context, from_jh(handle)));
  });
}

}  // namespace detail

// Describes one job type of a plugin; see JOBHOST_JOB.
inline detail::JobEntry job(const char* name, const char* summary, const char* version,
                            const char* config_example, JobFunction fn) {
  detail::JobEntry e{};
  e.c.struct_size = sizeof(jh_job_type);
  e.c.name = name;
  e.c.summary = summary;
  e.c.version = version;
  e.c.config_example = config_example;
  e.c.run = &detail::run_trampoline;
  e.fn = fn;
  return e;
}

// A deferrable job type (ABI 1.1) backed by class T: `Outcome run(Context&)`,
// `Outcome poll(Context&, std::string_view handle)` and optionally
// `void cancel(Context&, std::string_view handle)` (or returning Status). T is
// default-constructed once per plugin; its methods run concurrently for different jobs.
template <class T>
detail::JobEntry deferrable_job(const char* name, const char* summary, const char* version,
                                const char* config_example = nullptr) {
  detail::JobEntry e{};
  e.c.struct_size = sizeof(jh_job_type);
  e.c.name = name;
  e.c.summary = summary;
  e.c.version = version;
  e.c.config_example = config_example;
  e.c.run = &detail::deferrable_run<T>;
  e.c.poll = &detail::deferrable_poll<T>;
  e.c.cancel = detail::has_cancel<T>::value ? &detail::deferrable_cancel<T> : nullptr;
  return e;
}

namespace detail {
// Plugin-wide lifecycle hooks (JOBHOST_PLUGIN_HOOKS); each plugin library has its own copy.
struct Hooks {
  bool (*init)(std::string& error) = nullptr;
  void (*shutdown)() = nullptr;
};
inline Hooks& hooks() {
  static Hooks h;
  return h;
}
// The plugin's jh_plugin.get_extension (JOBHOST_PLUGIN_GET_EXTENSION), e.g. connection types.
using ExtensionFn = const void*(JH_CALL*)(const char* id);
inline ExtensionFn& extension_hook() {
  static ExtensionFn fn = nullptr;
  return fn;
}

inline int32_t JH_CALL init_trampoline(const jh_host*, char* err, uint32_t cap) {
  std::string error;
  bool ok = false;
  try {
    ok = hooks().init(error);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  if (ok) return 0;
  if (error.empty()) error = "init returned false";
  if (err && cap > 0) {
    size_t n = error.size() < cap - 1 ? error.size() : cap - 1;
    error.copy(err, n);
    err[n] = '\0';
  }
  return 1;
}

inline void JH_CALL shutdown_trampoline() {
  try {
    hooks().shutdown();
  } catch (...) {
    // Nothing may cross the boundary; a failing shutdown has no one left to tell.
  }
}

template <size_t N>
struct PluginStorage {
  JobEntry entries[N];
  const jh_job_type* pointers[N];
  jh_plugin plugin;
};

// Called once, by the host, under its loader lock.
template <class... Jobs>
const jh_plugin* make_plugin(const char* name, const char* version, const char* description,
                             Jobs... jobs) {
  static PluginStorage<sizeof...(Jobs)> storage{{jobs...}, {}, {}};
  static const jh_plugin* plugin = [&] {
    for (size_t i = 0; i < sizeof...(Jobs); ++i) storage.pointers[i] = &storage.entries[i].c;
    jh_plugin& p = storage.plugin;
    p.magic = JH_ABI_MAGIC;
    p.struct_size = sizeof(jh_plugin);
    p.abi_major = JH_ABI_MAJOR;
    p.abi_minor = JH_ABI_MINOR;
    p.name = name;
    p.version = version;
    p.description = description;
    p.job_type_count = static_cast<uint32_t>(sizeof...(Jobs));
    p.job_types = storage.pointers;
    p.init = hooks().init ? &init_trampoline : nullptr;
    p.shutdown = hooks().shutdown ? &shutdown_trampoline : nullptr;
    p.get_extension = extension_hook();
    return &p;
  }();
  return plugin;
}
}  // namespace detail

}  // namespace jobhost

// JOBHOST_JOB(function, summary, version, config_example): a job type named after the function.
#define JOBHOST_JOB(fn, summary, version, example) ::jobhost::job(#fn, summary, version, example, &fn)

// JOBHOST_PLUGIN_HOOKS(init, shutdown): optional plugin-wide setup and teardown, in the same
// file as JOBHOST_PLUGIN. `bool init(std::string& error)` runs once after loading, before any
// job; returning false (or throwing) refuses the plugin with `error`. `void shutdown()` runs
// once before unloading, when no job runs. Either may be nullptr.
#define JOBHOST_PLUGIN_HOOKS(init_fn, shutdown_fn)                                         \
  static const bool jobhost_plugin_hooks_set_ =                                            \
      (::jobhost::detail::hooks() = ::jobhost::detail::Hooks{init_fn, shutdown_fn}, true);

// JOBHOST_PLUGIN_GET_EXTENSION(fn): the plugin's extensions (jh_plugin.get_extension), in the
// same file as JOBHOST_PLUGIN. `const void* JH_CALL fn(const char* id)` returns the extension's
// struct for an id it knows (e.g. JH_EXT_CONNECTION_TYPES), else NULL.
#define JOBHOST_PLUGIN_GET_EXTENSION(fn)                                                   \
  static const bool jobhost_plugin_extension_set_ =                                        \
      (::jobhost::detail::extension_hook() = (fn), true);

// JOBHOST_PLUGIN(name, version, description, JOBHOST_JOB(...)...): defines the entry symbol.
// Use it in exactly one source file of the plugin.
#define JOBHOST_PLUGIN(name, version, description, ...)                                   \
  extern "C" JH_EXPORT const jh_plugin* JH_CALL jobhost_plugin_entry(void) {              \
    return ::jobhost::detail::make_plugin(name, version, description, __VA_ARGS__);        \
  }

#endif  // JOBHOST_SDK_HPP
