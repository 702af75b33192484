// DatabricksEngine::start: run-now for `job_id`, runs/submit for `submit`, each with the
// attempt's idempotency_token.
#include "databricks_engine.hpp"

#include <boost/json.hpp>

#include "databricks_internal.hpp"

namespace jobhost::connectors::databricks {
namespace {

namespace json = boost::json;

constexpr const char* kRunNow = "/api/2.1/jobs/run-now";
constexpr const char* kSubmit = "/api/2.1/jobs/runs/submit";

// The run_id of a run-now or runs/submit reply.
std::string started_run_id(const Reply& reply, const std::string& what) {
  const std::string run_id = text_of(object_reply(reply, what), "run_id");
  if (run_id.empty())
    throw ApiError(ApiError::Kind::kRetryable, reply.status, what + ": the reply has no run_id");
  return run_id;
}

Started start_run_now(Session& session) {
  const json::object body = run_now_body(session.ctx());
  const std::string job = std::to_string(body.at("job_id").as_int64());
  Call call;
  call.method = "POST";
  call.path = kRunNow;
  call.json = body;
  call.what = "start Databricks job " + job;
  call.retry = body.contains("idempotency_token");  // safe to repeat only when deduplicated
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    if (!does_not_exist(e, "Job " + job)) throw;
    throw FatalError("Databricks job " + job + " not found on connection '" +
                     session.connection().name() + "'");
  }
  const std::string run_id = started_run_id(reply, call.what);
  Started out;
  out.handle["run_id"] = run_id;
  out.handle["job_id"] = job;
  // run-now does not return the page; runs/get's run_page_url replaces this on the first poll.
  out.handle["url"] = session.connection().url() + "/#job/" + job + "/run/" + run_id;
  return out;
}

// The run's page as runs/get reports it, or "" when that read fails: runs/submit answers only
// the run id, and a one-time run's page cannot be built from it. Never throws, not even when
// the attempt is cancelled meanwhile: the run is started, and its id must still be recorded.
std::string run_page_url(Session& session, const std::string& run_id) {
  Call call;
  call.path = "/api/2.1/jobs/runs/get?run_id=" + run_id;
  call.what = "read Databricks run " + run_id;
  try {
    const Reply reply = session.client().send(call);
    if (const json::object* run = reply.json.if_object()) return text_of(*run, "run_page_url");
  } catch (const ApiError&) {
  }
  return {};
}

Started start_submit(Session& session) {
  const SubmitBody submit = submit_body(session.ctx());
  if (submit.replaced_token)
    session.warn("submit.idempotency_token is not used: the attempt's idempotency key is sent "
                 "instead, so a repeated start finds its run and a retry starts a new one");
  const std::string name = submit_run_name(submit.body);
  Call call;
  call.method = "POST";
  call.path = kSubmit;
  call.json = submit.body;
  call.what = "submit the Databricks one-time run '" + name + "'";
  call.retry = submit.body.contains("idempotency_token");  // safe to repeat only when deduplicated
  const Reply reply = session.client().send(call);
  const std::string run_id = started_run_id(reply, call.what);
  Started out;
  out.handle["run_id"] = run_id;
  out.handle["run_name"] = name;
  // With wait, the first poll's run_page_url takes this place; without, nothing polls, so the
  // page is read once now, and the workspace is the link when even that fails.
  std::string url;
  if (!session.ctx().get_or<bool>("wait", true)) url = run_page_url(session, run_id);
  out.handle["url"] = url.empty() ? session.connection().url() : url;
  return out;
}

}  // namespace

Started DatabricksEngine::start(Session& session) const {
  return start_kind(session.ctx()) == StartKind::kSubmit ? start_submit(session)
                                                         : start_run_now(session);
}

}  // namespace jobhost::connectors::databricks
