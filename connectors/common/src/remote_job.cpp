// The remote job's start (remote_run), cancel and connection test; remote_poll.cpp follows
// a started run.
#include <jobhost_common/duration.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "remote_internal.hpp"

namespace jobhost::connectors {
using std::chrono::milliseconds;

namespace internal {
namespace {

namespace json = boost::json;

std::function<bool()> cancel_predicate(const jh_host* host, jh_job_ctx* raw) {
  if (!host || !raw || !host->is_cancelled) return {};
  return [host, raw] { return host->is_cancelled(raw) != 0; };
}

std::function<void(const std::string&)> warn_sink(const jh_host* host, jh_job_ctx* raw) {
  if (!host || !raw || !host->log) return {};
  return [host, raw](const std::string& line) { host->log(raw, JH_LOG_WARN, detail::to_jh(line)); };
}

}  // namespace

Handle parse_handle(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object())
    throw FatalError("malformed remote run handle: " + snippet(text, 80));
  Handle h;
  for (auto& [key, value] : v.get_object()) {
    if (key.starts_with("_")) continue;
    h.engine.emplace(key, value);
  }
  const json::object& o = v.get_object();
  if (const auto* c = o.if_contains("_connection"); c && c->is_string()) h.meta.connection = c->get_string();
  if (const auto* p = o.if_contains("_poll_ms"); p && p->is_int64()) h.meta.poll_ms = p->get_int64();
  if (const auto* w = o.if_contains("_wait"); w && w->is_bool()) h.meta.wait = w->get_bool();
  if (const auto* p = o.if_contains("_pending"); p && p->is_bool()) h.meta.pending = p->get_bool();
  if (const auto* e = o.if_contains("_errors"); e && e->is_int64()) h.meta.errors = e->get_int64();
  return h;
}

std::string serialize_handle(const Handle& handle, const Redactor& redactor) {
  json::object o = handle.engine;
  o["_connection"] = handle.meta.connection;
  o["_poll_ms"] = handle.meta.poll_ms;
  o["_wait"] = handle.meta.wait;
  if (handle.meta.pending) o["_pending"] = true;
  if (handle.meta.errors > 0) o["_errors"] = handle.meta.errors;
  return redactor.scrub(json::serialize(o));
}

std::string run_id_of(const json::object& handle) {
  const auto* id = handle.if_contains("run_id");
  if (!id) return "";
  if (id->is_string()) return std::string(id->get_string());
  if (id->is_number()) return json::serialize(*id);
  return "";
}

Link::Link(const Engine& engine, Context* ctx, const jh_host* host, jh_job_ctx* raw,
           const std::string& name, Use use)
    : connection(Connection::load(host, raw, name, engine.connection_type(),
                                  engine.default_url() ? engine.default_url() : "")),
      client(connection, engine.authenticator(connection),
             use == Use::kCancel ? std::function<bool()>{} : cancel_predicate(host, raw),
             warn_sink(host, raw)),
      session(ctx, connection, client) {
  if (use != Use::kAttempt) {
    RetryPolicy policy = client.policy();
    policy.max_attempts = std::min(policy.max_attempts, 3);
    policy.budget = std::min(policy.budget, 3 * connection.request_timeout());
    client.set_policy(policy);
    return;
  }
  if (auto deadline = ctx ? ctx->deadline() : std::nullopt) {
    const auto left = *deadline - std::chrono::system_clock::now();
    client.set_deadline(std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(left));
  }
}

void publish_ids(const Context& ctx, const json::object& handle, const Redactor& redactor) {
  const std::string id = redactor.scrub(run_id_of(handle));
  if (!id.empty()) ctx.set_output("run_id", id);
  if (const auto* u = handle.if_contains("url"); u && u->is_string() && !u->get_string().empty())
    ctx.set_output("url", redactor.scrub(u->get_string()));
}

void publish_started(const Engine& engine, const Context& ctx, const json::object& handle,
                     const Redactor& redactor) {
  publish_ids(ctx, handle, redactor);
  const std::string id = redactor.scrub(run_id_of(handle));
  std::string url;
  if (const auto* u = handle.if_contains("url"); u && u->is_string()) url = redactor.scrub(u->get_string());
  ctx.log_info("started " + std::string(engine.title()) + " run " + id + (url.empty() ? "" : ": " + url));
}

}  // namespace internal

const Context& Session::ctx() const {
  if (!ctx_) throw FatalError("connection '" + connection_.name() + "': no job in a connection test");
  return *ctx_;
}
void Session::info(const std::string& message) const {
  if (ctx_) ctx_->log_info(connection_.redactor().scrub(message));
}
void Session::warn(const std::string& message) const {
  if (ctx_) ctx_->log_warn(connection_.redactor().scrub(message));
}
void Session::error(const std::string& message) const {
  if (ctx_) ctx_->log_error(connection_.redactor().scrub(message));
}

Outcome remote_run(const Engine& engine, Context& ctx) {
  internal::Handle handle;
  handle.meta.connection = ctx.require<std::string>("connection");
  handle.meta.wait = ctx.get_or<bool>("wait", true);
  handle.meta.poll_ms = common::config_duration(ctx, "poll_interval", std::chrono::seconds(30)).count();
  internal::Link link(engine, &ctx, ctx.host(), ctx.raw(), handle.meta.connection, internal::Use::kAttempt);
  const Redactor& redactor = link.connection.redactor();
  try {
    Started started = engine.start(link.session);
    handle.engine = std::move(started.handle);
    handle.meta.pending = started.pending;
    if (started.pending) return Deferred(internal::serialize_handle(handle, redactor), milliseconds(0));
    internal::publish_started(engine, ctx, handle.engine, redactor);
    if (!handle.meta.wait) return Status::ok();
    return Deferred(internal::serialize_handle(handle, redactor), milliseconds(handle.meta.poll_ms));
  } catch (const ApiError& e) {
    switch (e.kind()) {
      case ApiError::Kind::kRetryable: throw RetryableError(redactor.scrub(e.what()));
      case ApiError::Kind::kCancelled: return Status::cancelled();
      default: throw FatalError(redactor.scrub(e.what()));
    }
  } catch (const FatalError& e) {
    throw FatalError(redactor.scrub(e.what()));
  } catch (const std::exception& e) {
    throw RetryableError(redactor.scrub(e.what()));
  }
}

Status remote_cancel(const Engine& engine, Context& ctx, std::string_view text) {
  const internal::Handle handle = internal::parse_handle(text);
  const std::string run = std::string(engine.title()) + " run " + internal::run_id_of(handle.engine);
  std::string name = handle.meta.connection;
  if (name.empty()) name = ctx.require<std::string>("connection");
  internal::Link link(engine, &ctx, ctx.host(), ctx.raw(), name, internal::Use::kCancel);
  const Redactor& redactor = link.connection.redactor();
  try {
    engine.cancel(link.session, handle.engine);
    ctx.log_info("asked to cancel " + run);
    return Status::ok();
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound || e.kind() == ApiError::Kind::kConflict) {
      ctx.log_warn(redactor.scrub("cancel " + run + ": " + e.what() + " (it has ended already)"));
      return Status::ok();
    }
    return Status::fatal(redactor.scrub("could not cancel " + run + ": " + e.what()));
  } catch (const std::exception& e) {
    return Status::fatal(redactor.scrub("could not cancel " + run + ": " + e.what()));
  }
}

jh_status remote_test(const Engine& engine, const jh_host* host, jh_job_ctx* ctx,
                      std::string_view connection) {
  auto report = [&](jh_status status, const std::string& message) {
    if (ctx && host && host->set_error) host->set_error(ctx, detail::to_jh(message));
    return status;
  };
  try {
    internal::Link link(engine, nullptr, host, ctx, std::string(connection), internal::Use::kTest);
    try {
      const std::string text = link.connection.redactor().scrub(engine.probe(link.session));
      if (ctx && host && host->log) host->log(ctx, JH_LOG_INFO, detail::to_jh(text));
      return JH_STATUS_OK;
    } catch (const std::exception& e) {
      return report(JH_STATUS_FATAL, link.connection.redactor().scrub(e.what()));
    }
  } catch (const std::exception& e) {
    return report(JH_STATUS_FATAL, e.what());  // Connection names secrets, never their values
  } catch (...) {
    return report(JH_STATUS_FATAL, "unknown error");
  }
}

}  // namespace jobhost::connectors
