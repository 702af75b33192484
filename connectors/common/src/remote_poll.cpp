// Following a started remote run: one status read per poll, mapped onto the attempt's
// outcome. A status read that fails transiently is asked again later, with backoff, up to
// kMaxPollErrors times in a row.
#include <algorithm>

#include "remote_internal.hpp"

namespace jobhost::connectors {
namespace {

using std::chrono::milliseconds;
using Phase = RemoteStatus::Phase;

constexpr int64_t kMaxPollErrors = 10;

// The poll interval doubled per consecutive failure, up to 5 min (or the interval, if longer).
milliseconds error_backoff(milliseconds interval, int64_t errors) {
  const milliseconds cap = std::max(interval, milliseconds(std::chrono::minutes(5)));
  milliseconds delay = interval;
  for (int64_t i = 1; i < errors && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

// The attempt's outcome once the run has ended (any phase but kRunning).
Status finished(Context& ctx, const RemoteStatus& st, const std::string& run,
                const Redactor& redactor) {
  const std::string state = st.state.empty() ? "" : " (" + redactor.scrub(st.state) + ")";
  switch (st.phase) {
    case Phase::kSucceeded:
      ctx.set_output("state", redactor.scrub(st.state));
      for (const auto& [key, value] : st.outputs) ctx.set_output(key, redactor.scrub(value));
      ctx.log_info(run + " succeeded" + state);
      return Status::ok();
    case Phase::kFailed:
      for (const auto& line : st.details) ctx.log_error(redactor.scrub(line));
      return Status::retry(redactor.scrub(run + " failed" + state +
                                          (st.message.empty() ? "" : ": " + st.message)));
    case Phase::kCancelled:
      ctx.log_warn(redactor.scrub(run + " was cancelled" + state +
                                  (st.message.empty() ? "" : ": " + st.message)));
      return Status::cancelled();
    case Phase::kSkipped:
      return Status::skipped(redactor.scrub(st.message.empty() ? run + " was skipped" + state : st.message));
    case Phase::kRunning: break;
  }
  return Status::fatal(run + ": unexpected status");
}

// A status read failed: ask again later, give up, or stop, by the kind of failure.
Outcome poll_failed(const ApiError& e, Context& ctx, internal::Handle& handle, const std::string& run,
                    const Redactor& redactor) {
  const std::string message = redactor.scrub(e.what());
  switch (e.kind()) {
    case ApiError::Kind::kRetryable: {
      handle.meta.errors += 1;
      if (handle.meta.errors >= kMaxPollErrors) return Status::retry(message);
      const milliseconds delay = error_backoff(milliseconds(handle.meta.poll_ms), handle.meta.errors);
      ctx.log_warn(run + ": cannot read its status (" + std::to_string(handle.meta.errors) + " of " +
                   std::to_string(kMaxPollErrors) + " failures in a row): " + message +
                   "; asking again in " + std::to_string(delay.count()) + " ms");
      return Deferred(internal::serialize_handle(handle, redactor), delay);
    }
    // Cancelled while the status read was in flight: the run goes on remotely. Deferring
    // again makes the host call cancel() with the handle, which stops it.
    case ApiError::Kind::kCancelled:
      return Deferred(internal::serialize_handle(handle, redactor), milliseconds(0));
    case ApiError::Kind::kNotFound: return Status::fatal(run + " no longer exists: " + message);
    default: return Status::fatal(message);
  }
}

}  // namespace

Outcome remote_poll(const Engine& engine, Context& ctx, std::string_view text) {
  internal::Handle handle = internal::parse_handle(text);
  if (handle.meta.connection.empty()) handle.meta.connection = ctx.require<std::string>("connection");
  internal::Link link(engine, &ctx, ctx.host(), ctx.raw(), handle.meta.connection, internal::Use::kAttempt);
  const Redactor& redactor = link.connection.redactor();
  const milliseconds interval(handle.meta.poll_ms);
  std::string run = std::string(engine.title()) + " run " + redactor.scrub(internal::run_id_of(handle.engine));
  RemoteStatus st;
  try {
    st = engine.status(link.session, handle.engine);
  } catch (const ApiError& e) {
    return poll_failed(e, ctx, handle, run, redactor);
  } catch (const FatalError& e) {
    return Status::fatal(redactor.scrub(e.what()));
  } catch (const std::exception& e) {
    return Status::retry(redactor.scrub(e.what()));
  }
  bool changed = handle.meta.errors > 0;
  handle.meta.errors = 0;
  if (st.handle) {
    handle.engine = std::move(*st.handle);
    run = std::string(engine.title()) + " run " + redactor.scrub(internal::run_id_of(handle.engine));
    changed = true;
    if (handle.meta.pending && !st.still_pending) {  // the run the first poll was to start exists now
      handle.meta.pending = false;
      internal::publish_started(engine, ctx, handle.engine, redactor);
      if (!handle.meta.wait && st.phase == Phase::kRunning) return Status::ok();
    }
  }
  if (st.phase != Phase::kRunning) {
    internal::publish_ids(ctx, handle.engine, redactor);  // engine outputs below may refine them
    return finished(ctx, st, run, redactor);
  }
  if (changed) return Deferred(internal::serialize_handle(handle, redactor), interval);
  return Deferred::again(interval);
}

}  // namespace jobhost::connectors
