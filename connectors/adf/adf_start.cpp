// The pending phase of an ADF start (see adf_engine.hpp): find the run this attempt may have
// created already, else create it, exactly once per successful createRun reply.
#include <boost/json.hpp>

#include "adf_engine.hpp"
#include "adf_factory.hpp"
#include "adf_runs.hpp"
#include "jobhost_connectors/config_json.hpp"
#include "jobhost_connectors/json_fields.hpp"

namespace jobhost::connectors::adf {
namespace {

namespace json = boost::json;
using std::chrono::system_clock;

// Pages of queryPipelineRuns read when looking for a run (100 runs each).
constexpr int kMaxPages = 10;
// createRun requests left unanswered before the attempt gives up (retryable).
constexpr int64_t kMaxUnansweredStarts = 5;
// How much later than its timeout a lost createRun is still looked for before another is sent.
constexpr std::chrono::seconds kLateStartMargin{2};

// The createRun body: the configured parameters, plus the idempotency parameter.
json::object run_parameters(const Context& ctx, RunMatch& match) {
  json::object params = config_object(ctx, "parameters");
  const std::string key_parameter = ctx.get_or<std::string>("idempotency_parameter", "");
  const std::string key(ctx.idempotency_key());
  if (!key_parameter.empty() && params.contains(key_parameter))
    throw FatalError("config: parameter '" + key_parameter +
                     "' is the idempotency_parameter; it cannot be set in 'parameters' too");
  if (!key_parameter.empty() && !key.empty()) {
    params[key_parameter] = key;
    match.key_parameter = key_parameter;
    match.key = key;
  } else {
    match.parameters = params;
  }
  return params;
}

// The newest run matching `match` updated since `since`, if any.
std::optional<std::string> find_run(Session& session, const Factory& factory, const RunMatch& match,
                                    const std::string& since) {
  const std::string before = rfc3339(system_clock::now() + std::chrono::hours(1));
  std::optional<std::string> page_token;
  for (int page = 0; page < kMaxPages; ++page) {
    const json::object reply = query_runs(session, factory, match.pipeline, since, before, page_token);
    if (const json::value* runs = reply.if_contains("value"); runs && runs->is_array())
      for (const json::value& run : runs->get_array())
        if (const json::object* r = run.if_object(); r && matches(*r, match))
          if (const json::value* id = r->if_contains("runId"); id && id->is_string()) return std::string(id->get_string());
    const json::value* next = reply.if_contains("continuationToken");
    if (!next || !next->is_string() || next->get_string().empty()) return std::nullopt;
    page_token = std::string(next->get_string());
  }
  session.warn("ADF pipeline '" + match.pipeline + "': stopped looking for an earlier run after " +
               std::to_string(kMaxPages * 100) + " runs");
  return std::nullopt;
}

std::string create_run(Session& session, const Factory& factory, const std::string& pipeline,
                       const json::object& params) {
  Call call;
  call.method = "POST";
  call.path = factory.url("/pipelines/" + url_encode(pipeline) + "/createRun");
  call.json = params;
  call.what = "start ADF pipeline '" + pipeline + "'";
  // Never repeated blindly: a repeat would be a second run. A failed start is looked for
  // (queryPipelineRuns) at the next poll before it is sent again.
  call.retry = false;
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    if (e.kind() != ApiError::Kind::kNotFound) throw;
    factory.not_found(e, "pipeline '" + pipeline + "'", session.connection());
  }
  const json::object* body = reply.json.if_object();
  const json::value* id = body ? body->if_contains("runId") : nullptr;
  if (!id || !id->is_string() || id->get_string().empty())
    throw ApiError(ApiError::Kind::kRetryable, reply.status, call.what + ": the reply has no runId");
  return std::string(id->get_string());
}

RemoteStatus running(const Session& session, const json::object& pending, const std::string& run_id) {
  RemoteStatus st;
  st.phase = RemoteStatus::Phase::kRunning;
  st.state = "Queued";
  st.handle = run_handle(session, pending, run_id);
  return st;
}

// Still starting: poll again with `pending` (which records the unanswered createRun).
RemoteStatus still_starting(json::object pending) {
  RemoteStatus st;
  st.phase = RemoteStatus::Phase::kRunning;
  st.state = "Starting";
  st.still_pending = true;
  st.handle = std::move(pending);
  return st;
}

// Sends createRun, recording it in the pending handle first. A createRun whose answer was
// lost may still be carried out by ADF after the client gave up, so it is not sent again
// before twice the request timeout and a margin have passed; meanwhile the polls look for
// its run (queryPipelineRuns).
RemoteStatus create_or_wait(Session& session, const Factory& factory, const json::object& handle,
                            const std::string& pipeline, const json::object& params) {
  const auto sent = parse_rfc3339(string_field(handle, "create_sent_at"));
  const auto settle = 2 * session.connection().request_timeout() + kLateStartMargin;
  if (sent && system_clock::now() < *sent + settle) return still_starting(handle);
  const json::value* tries = handle.if_contains("create_tries");
  const int64_t sent_before = tries && tries->is_int64() ? tries->get_int64() : 0;
  if (sent_before >= kMaxUnansweredStarts)
    throw RetryableError("start ADF pipeline '" + pipeline + "': " + std::to_string(sent_before) +
                         " createRun requests went unanswered and no run of them appeared");
  json::object next = handle;
  next["create_sent_at"] = rfc3339(system_clock::now());
  next["create_tries"] = sent_before + 1;
  try {
    return running(session, handle, create_run(session, factory, pipeline, params));
  } catch (const ApiError& e) {
    if (!e.retryable()) throw;
    session.warn(e.what() + std::string("; looking for its run before sending it again"));
    return still_starting(std::move(next));
  }
}

}  // namespace

json::object run_handle(const Session& session, const json::object& pending, const std::string& run_id) {
  const Factory factory = Factory::from_handle(session.connection(), pending);
  const std::string studio = session.connection().string("studio_url").value_or(kDefaultStudio);
  json::object h;
  h["run_id"] = run_id;
  h["url"] = monitor_url(studio, factory.id(), run_id);
  h["pipeline"] = string_field(pending, "pipeline");
  factory.to_handle(h);
  return h;
}

RemoteStatus start_pending(Session& session, const json::object& handle) {
  const Context& ctx = session.ctx();
  const Factory factory = Factory::from_handle(session.connection(), handle);
  const std::string since = string_field(handle, "since");
  RunMatch match;
  match.pipeline = string_field(handle, "pipeline");
  match.since = parse_rfc3339(since).value_or(system_clock::now());
  const json::object params = run_parameters(ctx, match);
  // Without an exact key, look only when an earlier call may have sent createRun, so a run
  // someone else started with the same parameters is not taken in the ordinary case.
  const bool may_exist = !match.key_parameter.empty() || ctx.poll_count() > 1 || ctx.reattached();
  if (may_exist) {
    if (auto found = find_run(session, factory, match, since)) {
      session.info("found ADF run " + *found + " of pipeline '" + match.pipeline +
                   "' started earlier by this attempt; following it");
      return running(session, handle, *found);
    }
  }
  return create_or_wait(session, factory, handle, match.pipeline, params);
}

void cancel_pending(Session& session, const json::object& handle) {
  const Factory factory = Factory::from_handle(session.connection(), handle);
  RunMatch match;
  match.pipeline = string_field(handle, "pipeline");
  match.since = parse_rfc3339(string_field(handle, "since")).value_or(system_clock::now());
  run_parameters(session.ctx(), match);
  if (match.key_parameter.empty()) {
    session.warn("ADF pipeline '" + match.pipeline + "': the start was not confirmed and "
                 "without an idempotency_parameter its run cannot be told apart; nothing cancelled");
    return;
  }
  if (auto found = find_run(session, factory, match, string_field(handle, "since"))) {
    cancel_run(session, factory, *found);
    session.info("asked ADF to cancel run " + *found);
  }
}

}  // namespace jobhost::connectors::adf
