#include "exec/attempt.hpp"

#include "exec/crash_guard.hpp"
#include "exec/thread_usage.hpp"

namespace jobhost {
namespace {

enum class Entry { run, poll, cancel };

jh_str to_jh(std::string_view v) { return jh_str{v.data(), v.size()}; }

// The plugin's status and what it reported, checked: unknown statuses and deferrals the host
// cannot keep become fatal failures that name the job type and its plugin file.
AttemptResult collect(const JobTypeRef& type, jh_job_ctx& ctx, jh_status status, Entry entry) {
  AttemptResult r;
  r.status = status;
  std::lock_guard lock(ctx.mu);
  r.error = std::move(ctx.error);
  r.metrics = std::move(ctx.metrics);
  r.outputs = std::move(ctx.outputs);
  auto plugin_fault = [&](const std::string& what) {
    r.status = JH_STATUS_FATAL;
    r.error = "job type '" + type.qualified_name + "' (" + type.plugin_file + ") " + what +
              (r.error.empty() ? "" : ": " + r.error);
  };
  switch (r.status) {
    case JH_STATUS_OK:
    case JH_STATUS_SKIPPED:
      break;
    case JH_STATUS_RETRY:
    case JH_STATUS_FATAL:
    case JH_STATUS_CANCELLED:
      if (r.error.empty()) r.error = r.status == JH_STATUS_CANCELLED ? "cancelled" : "failed without a message";
      break;
    case JH_STATUS_DEFERRED:
      if (entry == Entry::cancel) {
        plugin_fault("returned JH_STATUS_DEFERRED from cancel()");
      } else if (!type.can_defer) {
        plugin_fault("returned JH_STATUS_DEFERRED but has no poll entry");
      } else if (!ctx.deferred) {
        plugin_fault(ctx.defer_error.empty()
                         ? "returned JH_STATUS_DEFERRED without calling defer()"
                         : "returned JH_STATUS_DEFERRED after a refused " + ctx.defer_error);
      } else {
        r.handle = std::move(ctx.defer_handle);
        r.keep_handle = ctx.keep_handle;
        r.delay = std::chrono::milliseconds(static_cast<int64_t>(ctx.defer_delay_ms));
      }
      break;
    default:
      r.error = "plugin returned unknown status " + std::to_string(r.status) +
                (r.error.empty() ? "" : ": " + r.error);
      r.status = JH_STATUS_FATAL;
  }
  return r;
}

template <class Call>
AttemptResult call_entry(const JobTypeRef& type, const AttemptInput& in, Entry entry, Call&& call) {
  static const toml::table kEmpty;
  jh_job_ctx ctx;
  ctx.config = in.config ? in.config : &kEmpty;
  ctx.cancel = in.cancel;
  ctx.cancel_all = in.cancel_all;
  ctx.log = in.log ? &in.log : nullptr;
  ctx.inputs = in.inputs ? &in.inputs : nullptr;
  ctx.upstreams = in.upstreams ? &in.upstreams : nullptr;
  ctx.input_keys = in.input_keys ? &in.input_keys : nullptr;
  ctx.run_id = in.run_id;
  ctx.job_name = in.job_name;
  ctx.can_defer = type.can_defer && entry != Entry::cancel;
  ctx.in_poll = entry == Entry::poll;
  ctx.in_cancel = entry == Entry::cancel;

  jh_run_info info{};
  info.struct_size = sizeof(jh_run_info);
  info.attempt = in.attempt;
  info.max_attempts = in.max_attempts;
  info.run_id = to_jh(in.run_id);
  info.pipeline = to_jh(in.pipeline);
  info.job_name = to_jh(in.job_name);
  info.job_type = to_jh(type.qualified_name);
  info.logical_date = to_jh(in.logical_date);
  info.scratch_dir = to_jh(in.scratch_dir);
  info.deadline_unix_ms = in.deadline_unix_ms;
  info.idempotency_key = to_jh(in.idempotency_key);
  info.poll_count = in.poll_count;
  info.reattached = in.reattached ? 1 : 0;
  info.started_unix_ms = in.started_unix_ms;

  jh_status status;
  AttemptUsage usage;
  {
    // A fatal signal in the plugin's code is reported as a crash of this attempt (thread mode).
    crash_guard::AttemptScope crash_scope(in.pipeline, in.run_id, in.try_number, in.job_name,
                                          in.attempt);
    ThreadUsageMeter meter;
    status = call(host_services_table(), &ctx, &info);
    usage = meter.finish();
  }
  AttemptResult r = collect(type, ctx, status, entry);
  r.usage = usage;
  return r;
}

}  // namespace

AttemptResult run_attempt(const JobTypeRef& type, const AttemptInput& in) {
  return call_entry(type, in, Entry::run, [&](const jh_host* h, jh_job_ctx* c, const jh_run_info* i) {
    return type.type->run(type.type, h, c, i);
  });
}

AttemptResult poll_attempt(const JobTypeRef& type, const AttemptInput& in, std::string_view handle) {
  return call_entry(type, in, Entry::poll, [&](const jh_host* h, jh_job_ctx* c, const jh_run_info* i) {
    return type.type->poll(type.type, h, c, i, to_jh(handle));
  });
}

AttemptResult cancel_attempt(const JobTypeRef& type, const AttemptInput& in,
                             std::string_view handle) {
  return call_entry(type, in, Entry::cancel, [&](const jh_host* h, jh_job_ctx* c, const jh_run_info* i) {
    return type.type->cancel(type.type, h, c, i, to_jh(handle));
  });
}

}  // namespace jobhost
