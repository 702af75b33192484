#include "prefect_engine.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <utility>

#include "jobhost_connectors/config_json.hpp"

namespace jobhost::connectors {
namespace {


// A deployment id no server has: reading it proves the credentials without a real deployment
// (404 once authenticated, 401 otherwise).
constexpr const char* kProbeDeployment = "00000000-0000-0000-0000-000000000000";

// What start() sends, read from the job's config.
struct FlowRunRequest {
  prefect::DeploymentRef deployment;
  boost::json::object body;  // DeploymentFlowRunCreate (closed: only its own fields)
};

prefect::DeploymentRef read_deployment(const Context& ctx) {
  const auto by_name = ctx.get<std::string>("deployment");
  const auto by_id = ctx.get<std::string>("deployment_id");
  if (by_name.has_value() == by_id.has_value())
    throw FatalError("config: set exactly one of 'deployment' (\"flow/deployment\" or an id) and 'deployment_id'");
  if (by_id && !prefect::is_uuid(*by_id))
    throw FatalError("config: 'deployment_id' must be a deployment's uuid; got '" + *by_id + "'");
  auto ref = prefect::parse_deployment(by_name ? *by_name : *by_id);
  if (!ref)
    throw FatalError("config: 'deployment' must be \"flow/deployment\" (e.g. \"etl/prod\") or a "
                     "deployment id; got '" + *by_name + "'");
  return *ref;
}

FlowRunRequest read_request(const Context& ctx) {
  FlowRunRequest r;
  r.deployment = read_deployment(ctx);
  if (!ctx.idempotency_key().empty()) r.body["idempotency_key"] = std::string(ctx.idempotency_key());
  if (ctx.has("parameters")) r.body["parameters"] = config_object(ctx, "parameters");
  if (ctx.has("job_variables")) r.body["job_variables"] = config_object(ctx, "job_variables");
  if (ctx.has("tags")) {
    boost::json::array tags;
    for (auto& t : ctx.strings("tags")) tags.emplace_back(t);
    r.body["tags"] = std::move(tags);
  }
  if (auto queue = ctx.get<std::string>("work_queue_name")) r.body["work_queue_name"] = *queue;
  if (auto name = ctx.get<std::string>("flow_run_name")) r.body["name"] = *name;
  return r;
}

[[noreturn]] void deployment_not_found(const Session& session, const prefect::DeploymentRef& ref) {
  throw FatalError("deployment '" + ref.text() + "' not found on connection '" +
                   session.connection().name() + "'");
}

boost::json::object object_of(const Reply& reply, const std::string& what) {
  if (!reply.json.is_object())
    throw ApiError(ApiError::Kind::kRetryable, reply.status,
                   "Prefect answered " + what + " with something other than a JSON object");
  return reply.json.get_object();
}

// The deployment's id: read by name, or checked by id (a missing one fails before a start).
std::string resolve(Session& session, const prefect::DeploymentRef& ref) {
  Call call;
  call.path = ref.id.empty() ? "/deployments/name/" + url_encode(ref.flow) + "/" + url_encode(ref.name)
                             : "/deployments/" + ref.id;
  call.what = "read deployment '" + ref.text() + "'";
  try {
    const std::string id = string_field(object_of(session.client().send(call), call.what), "id");
    if (id.empty()) throw ApiError(ApiError::Kind::kRetryable, 200, "Prefect's deployment '" + ref.text() + "' has no id");
    return id;
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound) deployment_not_found(session, ref);
    throw;
  }
}

std::string ui_base_of(const Connection& connection) {
  return prefect::ui_base(connection.url(), connection.string("ui_url").value_or(""));
}

std::string describe_credentials(const Connection& connection) {
  if (connection.string("api_key_secret")) return "authenticated with an API key";
  if (auto user = connection.string("username")) return "authenticated as " + *user;
  return "without credentials";
}

}  // namespace

std::shared_ptr<Authenticator> PrefectEngine::authenticator(const Connection& connection) const {
  const auto key = connection.secret("api_key");
  const auto user = connection.string("username");
  if (key && user) connection.fail("set either api_key_secret or username + password_secret, not both");
  if (key) return bearer_auth(*key);
  if (user) return basic_auth(*user, connection.require_secret("password"));
  if (connection.string("password_secret")) connection.fail("password_secret needs a username");
  return no_auth();  // a self-hosted server without PREFECT_SERVER_API_AUTH_STRING
}

Started PrefectEngine::start(Session& session) const {
  const FlowRunRequest request = read_request(session.ctx());
  const std::string deployment_id = resolve(session, request.deployment);
  Call call;
  call.method = "POST";
  call.path = "/deployments/" + deployment_id + "/create_flow_run";
  call.json = request.body;
  call.what = "create a flow run of deployment '" + request.deployment.text() + "'";
  call.retry = true;  // safe to repeat: the idempotency key returns the run already made
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound) deployment_not_found(session, request.deployment);
    throw;
  }
  const boost::json::object run = object_of(reply, call.what);
  const std::string id = string_field(run, "id");
  if (id.empty()) throw ApiError(ApiError::Kind::kRetryable, reply.status, "Prefect's new flow run has no id");
  const std::string what = "flow run '" + string_field(run, "name") + "' (" + id + ") of deployment '" +
                           request.deployment.text() + "'";
  if (reply.status == 200)  // 201 is a new run; 200 the one this idempotency key made before
    session.info(what + " exists already (state " + prefect::flow_run_status(run).state +
                 "): this attempt created it before; re-attached");
  else
    session.info("created " + what);
  Started started;
  started.handle = {{"run_id", id},
                    {"url", prefect::flow_run_url(ui_base_of(session.connection()), id)},
                    {"deployment_id", deployment_id}};
  return started;
}

namespace {

std::string flow_run_id(const boost::json::object& handle) {
  std::string id = string_field(handle, "run_id");
  if (!prefect::is_uuid(id)) throw FatalError("Prefect handle without a flow run id: " + boost::json::serialize(handle));
  return id;
}

}  // namespace

RemoteStatus PrefectEngine::status(Session& session, const boost::json::object& handle) const {
  const std::string id = flow_run_id(handle);
  Call call;
  call.path = "/flow_runs/" + id;
  call.what = "read flow run " + id;
  try {
    RemoteStatus status = prefect::flow_run_status(object_of(session.client().send(call), call.what));
    // run_id and url again: the outputs of the start are not kept by every host across the
    // deferral.
    status.outputs["run_id"] = id;
    status.outputs["url"] = prefect::flow_run_url(ui_base_of(session.connection()), id);
    return status;
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound)
      throw FatalError("flow run " + id + " no longer exists on connection '" +
                       session.connection().name() + "' (deleted in Prefect?)");
    throw;
  }
}

void PrefectEngine::cancel(Session& session, const boost::json::object& handle) const {
  const std::string id = flow_run_id(handle);
  // A cancel after a timeout comes when the attempt's deadline has passed, and the client
  // would not send anything: give this request its own time.
  session.client().set_deadline(std::chrono::steady_clock::now() +
                                2 * session.connection().request_timeout());
  std::string message = "Cancelled by jobhost";
  if (session.has_ctx())
    message += ": pipeline " + std::string(session.ctx().pipeline()) + ", job " + std::string(session.ctx().job_name());
  Call call;
  call.method = "POST";
  call.path = "/flow_runs/" + id + "/set_state";
  // CANCELLING, as Prefect's own UI does: the worker stops the infrastructure and the run ends
  // CANCELLED; a run without infrastructure is cancelled at once (REJECT + CANCELLED).
  boost::json::object state{{"type", "CANCELLING"}, {"message", message}};
  call.json = boost::json::object{{"state", std::move(state)}};
  call.what = "cancel flow run " + id;
  const boost::json::object result = object_of(session.client().send(call), call.what);
  const std::string status = string_field(result, "status");
  std::string now, reason;
  if (const auto* s = result.if_contains("state"); s && s->is_object()) now = string_field(s->get_object(), "type");
  if (const auto* d = result.if_contains("details"); d && d->is_object()) reason = string_field(d->get_object(), "reason");
  const std::string why = reason.empty() ? "" : " (" + reason + ")";
  if (status == "ACCEPT" || (status == "REJECT" && (now == "CANCELLED" || now == "CANCELLING")))
    session.info("flow run " + id + " is " + now + why);
  else if (status == "ABORT")
    session.info("flow run " + id + " has ended already: nothing to cancel" + why);
  else
    session.warn("Prefect answered " + status + " to cancelling flow run " + id +
                 (now.empty() ? "" : "; its state is " + now) + why);
}

std::string PrefectEngine::probe(Session& session) const {
  const Connection& connection = session.connection();
  Call health;
  health.path = "/health";
  health.what = "read Prefect's health";
  health.authenticate = false;
  const Reply reply = session.client().send(health);
  if (!reply.json.is_bool() || !reply.json.get_bool())
    throw ApiError(ApiError::Kind::kRetryable, reply.status, "Prefect's /health did not answer true");
  // /health needs no credentials: a deployment lookup does (404 once authenticated).
  Call check;
  check.path = std::string("/deployments/") + kProbeDeployment;
  check.what = "check the credentials";
  try {
    session.client().send(check);
  } catch (const ApiError& e) {
    if (e.kind() != ApiError::Kind::kNotFound) throw;
  }
  const bool cloud = connection.url().find("/api/accounts/") != std::string::npos;
  return std::string(cloud ? "Prefect Cloud" : "Prefect server") + " at " + connection.url() +
         ", healthy, " + describe_credentials(connection);
}

}  // namespace jobhost::connectors
