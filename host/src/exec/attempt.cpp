#include "exec/attempt.hpp"

namespace jobhost {

AttemptResult run_attempt(const JobTypeRef& type, const AttemptInput& in) {
  static const toml::table kEmpty;
  jh_job_ctx ctx;
  ctx.config = in.config ? in.config : &kEmpty;
  ctx.cancel = in.cancel;
  ctx.cancel_all = in.cancel_all;
  ctx.log = in.log ? &in.log : nullptr;
  ctx.inputs = in.inputs ? &in.inputs : nullptr;
  ctx.run_id = in.run_id;
  ctx.job_name = in.job_name;

  auto s = [](std::string_view v) { return jh_str{v.data(), v.size()}; };
  jh_run_info info{};
  info.struct_size = sizeof(jh_run_info);
  info.attempt = in.attempt;
  info.max_attempts = in.max_attempts;
  info.run_id = s(in.run_id);
  info.pipeline = s(in.pipeline);
  info.job_name = s(in.job_name);
  info.job_type = s(type.qualified_name);
  info.logical_date = s(in.logical_date);
  info.scratch_dir = s(in.scratch_dir);
  info.deadline_unix_ms = in.deadline_unix_ms;

  AttemptResult r;
  r.status = type.type->run(type.type, host_services_table(), &ctx, &info);
  std::lock_guard lock(ctx.mu);
  r.error = std::move(ctx.error);
  r.metrics = std::move(ctx.metrics);
  r.outputs = std::move(ctx.outputs);
  switch (r.status) {
    case JH_STATUS_OK:
    case JH_STATUS_SKIPPED:
      break;
    case JH_STATUS_RETRY:
    case JH_STATUS_FATAL:
    case JH_STATUS_CANCELLED:
      if (r.error.empty()) r.error = r.status == JH_STATUS_CANCELLED ? "cancelled" : "failed without a message";
      break;
    default:
      r.error = "plugin returned unknown status " + std::to_string(r.status) +
                (r.error.empty() ? "" : ": " + r.error);
      r.status = JH_STATUS_FATAL;
  }
  return r;
}

}  // namespace jobhost
