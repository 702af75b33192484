#include "databricks_engine.hpp"

#include <boost/json.hpp>

#include "databricks_status.hpp"

namespace jobhost::connectors::databricks {
namespace {

namespace json = boost::json;

constexpr const char* kRunNow = "/api/2.1/jobs/run-now";
// Failed tasks whose output is fetched on a failure: bounds the requests of one poll.
constexpr size_t kMaxTaskOutputs = 5;

std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return {};
}

int64_t run_id_of(const json::object& handle) {
  const std::string id = text_of(handle, "run_id");
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || id.size() > 18)
    throw FatalError("Databricks: the run handle has no valid run_id");
  return std::stoll(id);
}

const json::object& object_reply(const Reply& reply, const std::string& what) {
  if (const json::object* o = reply.json.if_object()) return *o;
  throw ApiError(ApiError::Kind::kRetryable, reply.status, what + ": the reply is not a JSON object");
}

// Databricks answers 400 INVALID_PARAMETER_VALUE "Job 999 does not exist." for an unknown
// job or run (and 404 RESOURCE_DOES_NOT_EXIST on some paths): both mean "not there".
// `what` is "Job 999" or "Run 123", so another object's absence is not taken for it.
bool does_not_exist(const ApiError& e, const std::string& what) {
  if (e.kind() == ApiError::Kind::kNotFound) return true;
  const std::string_view message = e.what();
  return e.status() == 400 && message.find(what + " does not exist") != std::string_view::npos;
}

// A hash that tells secrets apart in a cache key without holding the secret itself.
std::string fingerprint(std::string_view secret) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : secret) h = (h ^ c) * 1099511628211ull;
  return std::to_string(h);
}

bool same_origin(const std::string& a, const std::string& b) {
  try {
    const http::Url x = http::Url::parse(a), y = http::Url::parse(b);
    return x.https == y.https && x.host == y.host && x.port == y.port;
  } catch (const http::HttpError&) {
    return false;
  }
}

// OAuth M2M: the workspace's advertised token endpoint (RFC 8414 discovery), when it is on
// the workspace's own origin, else the documented default.
Token fetch_oauth_token(RestClient& client, const std::string& client_id,
                        const std::string& client_secret) {
  const std::string base = client.connection().url();
  std::string endpoint = base + "/oidc/v1/token";
  try {
    Call discover;
    discover.path = "/oidc/.well-known/oauth-authorization-server";
    discover.what = "discover the Databricks OAuth token endpoint";
    discover.authenticate = false;
    const Reply reply = client.send(discover);
    if (const json::object* doc = reply.json.if_object()) {
      const std::string advertised = text_of(*doc, "token_endpoint");
      if (!advertised.empty() && same_origin(advertised, base)) endpoint = advertised;
    }
  } catch (const ApiError& e) {
    if (e.retryable() || e.kind() == ApiError::Kind::kCancelled) throw;
    // No discovery document (older workspaces): the default endpoint.
  }
  return client_credentials(client, endpoint, client_id, client_secret, "all-apis");
}

StatusOptions status_options(const Session& session) {
  StatusOptions options;
  if (session.has_ctx())
    options.success_with_failures_ok =
        session.ctx().get_or<std::string>("success_with_failures", "failed") == "succeeded";
  return options;
}

// "task K: <error>" and a few trace lines for each failed task (first kMaxTaskOutputs).
std::vector<std::string> failure_details(Session& session, const json::object& run,
                                         const StatusOptions& options) {
  std::vector<std::string> lines;
  const std::vector<TaskRef> tasks = failed_tasks(run, options);
  for (size_t i = 0; i < tasks.size() && i < kMaxTaskOutputs; ++i) {
    const TaskRef& task = tasks[i];
    Call call;
    call.path = "/api/2.1/jobs/runs/get-output?run_id=" + std::to_string(task.run_id);
    call.what = "read the output of Databricks task run " + std::to_string(task.run_id);
    try {
      const Reply reply = session.client().send(call);
      for (auto& line : task_error_lines(task.key, object_reply(reply, call.what)))
        lines.push_back(std::move(line));
    } catch (const ApiError& e) {
      if (e.kind() == ApiError::Kind::kCancelled) throw;
      lines.push_back("task " + task.key + ": output not available (" + e.what() + ")");
    }
  }
  if (tasks.size() > kMaxTaskOutputs)
    lines.push_back("... and " + std::to_string(tasks.size() - kMaxTaskOutputs) + " more failed tasks");
  return lines;
}

}  // namespace

std::shared_ptr<Authenticator> DatabricksEngine::authenticator(const Connection& connection) const {
  if (auto token = connection.secret("token")) return bearer_auth(*token);
  const auto client_id = connection.string("client_id");
  if (!client_id)
    connection.fail("needs token_secret (a personal access token) or client_id and "
                    "client_secret_secret (OAuth machine-to-machine)");
  const std::string secret = connection.require_secret("client_secret");
  // Jobs of one process share the token of the same workspace, client and secret.
  const std::string key = "databricks|" + connection.name() + "|" + connection.url() + "|" +
                          *client_id + "|" + fingerprint(secret);
  return token_auth(key, [id = *client_id, secret](RestClient& client) {
    return fetch_oauth_token(client, id, secret);
  });
}

Started DatabricksEngine::start(Session& session) const {
  const Context& ctx = session.ctx();
  const json::object body = run_now_body(ctx);
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
  const json::object& started = object_reply(reply, call.what);
  const std::string run_id = text_of(started, "run_id");
  if (run_id.empty())
    throw ApiError(ApiError::Kind::kRetryable, reply.status, call.what + ": the reply has no run_id");
  Started out;
  out.handle["run_id"] = run_id;
  out.handle["job_id"] = job;
  // run-now does not return the page; runs/get's run_page_url replaces this on the first poll.
  out.handle["url"] = session.connection().url() + "/#job/" + job + "/run/" + run_id;
  return out;
}

RemoteStatus DatabricksEngine::status(Session& session, const json::object& handle) const {
  const int64_t run_id = run_id_of(handle);
  Call call;
  call.path = "/api/2.1/jobs/runs/get?run_id=" + std::to_string(run_id);
  call.what = "read Databricks run " + std::to_string(run_id);
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    if (!does_not_exist(e, "Run " + std::to_string(run_id))) throw;
    throw FatalError("Databricks run " + std::to_string(run_id) + " no longer exists on connection '" +
                     session.connection().name() + "'");
  }
  const json::object& run = object_reply(reply, call.what);
  const StatusOptions options = status_options(session);
  RemoteStatus st = map_run(run, options);
  if (st.phase == RemoteStatus::Phase::kFailed)
    for (auto& line : failure_details(session, run, options)) st.details.push_back(std::move(line));
  // The run's own page link, once known, replaces the one built at start.
  auto page = st.outputs.find("run_page_url");
  if (page == st.outputs.end()) {
    st.outputs["run_page_url"] = text_of(handle, "url");
  } else if (text_of(handle, "url") != page->second) {
    json::object updated = handle;
    updated["url"] = page->second;
    st.handle = std::move(updated);
  }
  st.outputs["url"] = st.outputs["run_page_url"];
  return st;
}

void DatabricksEngine::cancel(Session& session, const json::object& handle) const {
  const int64_t run_id = run_id_of(handle);
  // A timed-out attempt is cancelled after its deadline, which the client otherwise applies
  // to this request too (it would not even be sent): give it one request timeout.
  session.client().set_deadline(std::chrono::steady_clock::now() + session.connection().request_timeout());
  Call call;
  call.method = "POST";
  call.path = "/api/2.1/jobs/runs/cancel";
  call.json = json::object{{"run_id", run_id}};
  call.what = "cancel Databricks run " + std::to_string(run_id);
  session.client().send(call);
}

std::string DatabricksEngine::probe(Session& session) const {
  Call call;
  call.path = "/api/2.1/jobs/list?limit=1";
  call.what = "list Databricks jobs";
  session.client().send(call);
  const Connection& c = session.connection();
  const std::string how =
      c.string("token_secret") ? "PAT" : "OAuth client " + c.string("client_id").value_or("?");
  return "Databricks workspace at " + c.url() + ", authenticated (" + how + ")";
}

}  // namespace jobhost::connectors::databricks
