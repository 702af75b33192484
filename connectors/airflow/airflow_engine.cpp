#include "airflow_engine.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <utility>

#include "jobhost_connectors/config_json.hpp"

namespace jobhost::connectors {
namespace {

using airflow::Api;
using airflow::ApiVersion;
using airflow::string_field;

// A DAG id no Airflow has: looking it up proves the credentials without needing a real DAG
// (the answer is 404 once authenticated, 401/403 otherwise).
constexpr const char* kProbeDag = "jobhost-connection-test";
// Our own trigger notes start with this; they are not repeated in failure messages.
constexpr const char* kNotePrefix = "Triggered by jobhost";
// v2's DAGRunPatchBody.note and TriggerDAGRunPostBody.note: maxLength 1000.
constexpr size_t kMaxNote = 1000;

// What start() sends, read from the job's config.
struct Trigger {
  std::string dag_id;
  std::string dag_run_id;
  std::string logical_date;
  bool default_date = true;  // logical_date was not configured
  boost::json::object conf;
  std::string note;
};

// At most `max` bytes, never cutting a UTF-8 sequence in two.
std::string truncated(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

Trigger read_trigger(const Context& ctx) {
  Trigger t;
  t.dag_id = ctx.require<std::string>("dag_id");
  if (t.dag_id.empty()) throw FatalError("config: 'dag_id' is empty");
  if (auto date = ctx.get<std::string>("logical_date")) {
    t.logical_date = airflow::normalize_logical_date(*date);
    t.default_date = false;
    if (t.logical_date.empty())
      throw FatalError("config: 'logical_date' must be a date (2026-11-28) or an RFC 3339 "
                       "date-time with a zone (2026-11-28T06:00:00Z); got '" + *date + "'");
  } else {
    t.logical_date = airflow::normalize_logical_date(ctx.logical_date());
    if (t.logical_date.empty()) t.logical_date = airflow::now_rfc3339();
  }
  std::string key(ctx.idempotency_key());
  if (key.empty())  // a host older than ABI 1.1: the attempt's identity, less robust
    key = std::string(ctx.run_id()) + "-" + std::string(ctx.job_name()) + "-a" +
          std::to_string(ctx.attempt());
  t.dag_run_id = ctx.get_or<std::string>("dag_run_id", airflow::default_dag_run_id(ctx.logical_date(), key));
  if (!airflow::valid_dag_run_id(t.dag_run_id))
    throw FatalError("config: 'dag_run_id' '" + t.dag_run_id + "' is not a valid Airflow run id "
                     "(letters, digits and _.~:+- only, at most 250 characters)");
  t.conf = config_object(ctx, "conf");
  t.note = ctx.get_or<std::string>(
      "note", std::string(kNotePrefix) + ": pipeline " + std::string(ctx.pipeline()) + ", run " +
                  std::string(ctx.run_id()) + ", job " + std::string(ctx.job_name()) +
                  ", attempt " + std::to_string(ctx.attempt()));
  t.note = truncated(std::move(t.note), kMaxNote);
  return t;
}

// Only fields both APIs accept in a trigger (v1 DAGRun without its readOnly fields, v2's
// closed TriggerDAGRunPostBody).
boost::json::object trigger_body(const Trigger& t, const std::string& logical_date) {
  return {{"dag_run_id", t.dag_run_id}, {"logical_date", logical_date}, {"conf", t.conf},
          {"note", t.note}};
}

Started started(const Api& api, const Trigger& t) {
  Started s;
  s.handle = {{"run_id", t.dag_run_id},
              {"url", api.run_url(t.dag_id, t.dag_run_id)},
              {"dag_id", t.dag_id}};
  return s;
}

[[noreturn]] void dag_not_found(const Session& session, const std::string& dag_id) {
  throw FatalError("DAG '" + dag_id + "' not found on connection '" + session.connection().name() + "'");
}

boost::json::object object_of(const Reply& reply, const std::string& what) {
  if (!reply.json.is_object())
    throw ApiError(ApiError::Kind::kRetryable, reply.status,
                   "Airflow answered " + what + " with something other than a JSON object");
  return reply.json.get_object();
}

// Looks the DAG up: a missing DAG fails here, before anything is triggered, and a paused one
// is worth a warning (Airflow queues its runs until it is unpaused).
void check_dag(Session& session, const Api& api, const std::string& dag_id) {
  Call call;
  call.path = api.dag_path(dag_id);
  call.what = "read DAG '" + dag_id + "'";
  try {
    const Reply reply = session.client().send(call);
    const auto* paused = reply.json.is_object() ? reply.json.get_object().if_contains("is_paused") : nullptr;
    if (paused && paused->is_bool() && paused->get_bool())
      session.warn("DAG '" + dag_id + "' is paused: its run stays queued until the DAG is unpaused");
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound) dag_not_found(session, dag_id);
    throw;
  }
}

// The DAG run, or nullopt when Airflow has none with that id.
std::optional<boost::json::object> find_run(Session& session, const Api& api,
                                            const std::string& dag_id, const std::string& run_id) {
  Call call;
  call.path = api.dag_run_path(dag_id, run_id);
  call.what = "read DAG run '" + run_id + "' of DAG '" + dag_id + "'";
  try {
    return object_of(session.client().send(call), call.what);
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound) return std::nullopt;
    throw;
  }
}

// POSTs the trigger. true: created; false: Airflow answered 409 (the id or the logical date
// is taken).
bool post_trigger(Session& session, const Api& api, const Trigger& t, const std::string& logical_date) {
  Call call;
  call.method = "POST";
  call.path = api.dag_path(t.dag_id) + "/dagRuns";
  call.json = trigger_body(t, logical_date);
  call.what = "trigger DAG '" + t.dag_id + "'";
  // Safe to repeat: a second POST with the same dag_run_id is refused, never a second run.
  call.retry = true;
  try {
    session.client().send(call);
    return true;
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound) dag_not_found(session, t.dag_id);
    if (e.kind() == ApiError::Kind::kConflict) return false;
    throw;
  }
}

// After a 409: re-attach when the run with our id exists (this attempt started it before).
bool adopt(Session& session, const Api& api, const Trigger& t) {
  auto run = find_run(session, api, t.dag_id, t.dag_run_id);
  if (!run) return false;
  session.info("DAG run '" + t.dag_run_id + "' of DAG '" + t.dag_id + "' exists already (state " +
               string_field(*run, "state") + "): this attempt started it before; re-attached");
  return true;
}

std::string describe_credentials(const Connection& connection) {
  if (connection.string("token_secret")) return "authenticated with a bearer token";
  if (auto user = connection.string("username")) return "authenticated as " + *user;
  return "without credentials";
}

// "metadatabase healthy, scheduler healthy" from a health answer.
std::string health_summary(const boost::json::value& health) {
  std::string out;
  const auto* object = health.if_object();
  if (!object) return out;
  for (const char* part : {"metadatabase", "scheduler", "triggerer", "dag_processor"}) {
    const auto* p = object->if_contains(part);
    const auto* status = p && p->is_object() ? p->get_object().if_contains("status") : nullptr;
    if (!status || !status->is_string()) continue;
    if (!out.empty()) out += ", ";
    out += std::string(part) + " " + std::string(status->get_string());
  }
  return out;
}

// Airflow 3's simple and FAB auth managers: POST /auth/token with the user's name and
// password answers 201 {"access_token": JWT}.
Token fetch_airflow_token(RestClient& client, const std::string& user, const std::string& password) {
  Call call;
  call.method = "POST";
  call.path = "/auth/token";
  call.json = boost::json::object{{"username", user}, {"password", password}};
  call.what = "get an Airflow API token for '" + user + "'";
  call.authenticate = false;
  const Reply reply = client.send(call);
  const auto* object = reply.json.if_object();
  const auto* token = object ? object->if_contains("access_token") : nullptr;
  if (!token || !token->is_string() || token->get_string().empty())
    throw ApiError(ApiError::Kind::kRetryable, reply.status, "Airflow's /auth/token answer has no access_token");
  Token t;
  t.value = std::string(token->get_string());
  client.connection().redactor().add(t.value);
  // The JWT's lifetime is the server's setting (jwt_expiration_time); unknown here, so the
  // token is fetched again after a few minutes or on a 401.
  return t;
}

}  // namespace

std::shared_ptr<Authenticator> AirflowEngine::authenticator(const Connection& connection) const {
  const Api api = airflow::api_of(connection);
  const auto token = connection.secret("token");
  const auto user = connection.string("username");
  if (token && user)
    connection.fail("set either token_secret or username + password_secret, not both");
  if (token) return bearer_auth(*token);
  if (!user) {
    if (connection.string("password_secret")) connection.fail("password_secret needs a username");
    return no_auth();
  }
  const std::string password = connection.require_secret("password");
  if (api.version == ApiVersion::kV1) return basic_auth(*user, password);
  const std::string key = connection.name() + "|" + connection.url() + "|" + *user + "|" +
                          std::to_string(std::hash<std::string>{}(password));
  return token_auth(key, [user = *user, password](RestClient& client) {
    return fetch_airflow_token(client, user, password);
  });
}

Started AirflowEngine::start(Session& session) const {
  const Api api = airflow::api_of(session.connection());
  const Trigger t = read_trigger(session.ctx());
  check_dag(session, api, t.dag_id);
  if (post_trigger(session, api, t, t.logical_date)) {
    session.info("triggered DAG '" + t.dag_id + "': run '" + t.dag_run_id + "', logical date " +
                 t.logical_date);
    return started(api, t);
  }
  if (adopt(session, api, t)) return started(api, t);
  // The 409 was for the logical date: Airflow keeps one run per DAG and logical date, and an
  // earlier attempt or run of this date has it.
  if (!t.default_date)
    throw FatalError("DAG '" + t.dag_id + "' already has a run with logical date " + t.logical_date +
                     " on connection '" + session.connection().name() +
                     "'; Airflow allows one run per logical date: set another logical_date, or "
                     "leave it unset");
  const std::string now = airflow::now_rfc3339();
  session.warn("DAG '" + t.dag_id + "' already has a run with logical date " + t.logical_date +
               " (an earlier attempt or run); triggering run '" + t.dag_run_id +
               "' with logical date " + now + " instead");
  if (post_trigger(session, api, t, now) || adopt(session, api, t)) return started(api, t);
  throw RetryableError("DAG '" + t.dag_id + "' refused run '" + t.dag_run_id +
                       "' as a duplicate, but has no run with that id");
}

namespace {

// The dag_id and run id a handle holds (FatalError for a handle this engine did not write).
std::pair<std::string, std::string> handle_ids(const boost::json::object& handle) {
  std::string dag_id = string_field(handle, "dag_id"), run_id = string_field(handle, "run_id");
  if (dag_id.empty() || run_id.empty())
    throw FatalError("Airflow handle without dag_id and run_id: " + boost::json::serialize(handle));
  return {std::move(dag_id), std::move(run_id)};
}

boost::json::object read_run(Session& session, const Api& api, const std::string& dag_id,
                             const std::string& run_id) {
  auto run = find_run(session, api, dag_id, run_id);
  if (!run)
    throw FatalError("DAG run '" + run_id + "' of DAG '" + dag_id + "' no longer exists on connection '" +
                     session.connection().name() + "' (deleted in Airflow?)");
  return std::move(*run);
}

// The failed task instances, for the message and the attempt log. A failure to list them
// does not hide the run's own failure.
std::vector<airflow::FailedTask> list_failed_tasks(Session& session, const Api& api,
                                                   const std::string& dag_id,
                                                   const std::string& run_id,
                                                   std::vector<std::string>& details) {
  Call call;
  call.path = api.dag_run_path(dag_id, run_id) + "/taskInstances?limit=100";
  call.what = "list the task instances of DAG run '" + run_id + "'";
  try {
    return airflow::failed_tasks(session.client().send(call).json);
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kAuth || e.kind() == ApiError::Kind::kCancelled) throw;
    details.push_back(std::string("failed task instances unavailable: ") + e.what());
    return {};
  }
}

void explain_failure(Session& session, const Api& api, const std::string& dag_id,
                     const std::string& run_id, const boost::json::object& run, RemoteStatus& status) {
  const auto tasks = list_failed_tasks(session, api, dag_id, run_id, status.details);
  const auto lines = airflow::failed_task_lines(api, dag_id, run_id, tasks);
  status.details.insert(status.details.begin(), lines.begin(), lines.end());
  // RemoteJob says "Airflow run ID failed (failed): " before this.
  status.message = "DAG '" + dag_id + "'";
  std::string names;
  for (const auto& t : tasks) {
    if (t.state != "failed") continue;
    names += (names.empty() ? "" : ", ") + t.task_id;
    if (t.try_number > 0) names += " (try " + std::to_string(t.try_number) + ")";
  }
  status.message += names.empty() ? ", no failed task instance found" : ", failed tasks: " + names;
  const std::string note = string_field(run, "note");
  if (!note.empty() && note.rfind(kNotePrefix, 0) != 0) status.message += "; note: " + note;
}

}  // namespace

RemoteStatus AirflowEngine::status(Session& session, const boost::json::object& handle) const {
  const Api api = airflow::api_of(session.connection());
  const auto [dag_id, run_id] = handle_ids(handle);
  const boost::json::object run = read_run(session, api, dag_id, run_id);
  RemoteStatus status = airflow::dag_run_status(run);
  // Published when the run ends; run_id and url again, as the outputs of the start are not
  // kept by every host across the deferral.
  status.outputs["run_id"] = run_id;
  status.outputs["url"] = api.run_url(dag_id, run_id);
  status.outputs["dag_run_id"] = run_id;
  status.outputs["dag_id"] = dag_id;
  if (auto date = string_field(run, "logical_date"); !date.empty()) status.outputs["logical_date"] = date;
  if (status.phase == RemoteStatus::Phase::kFailed)
    explain_failure(session, api, dag_id, run_id, run, status);
  return status;
}

void AirflowEngine::cancel(Session& session, const boost::json::object& handle) const {
  const Api api = airflow::api_of(session.connection());
  const auto [dag_id, run_id] = handle_ids(handle);
  // A cancel after a timeout comes when the attempt's deadline has passed, and the client
  // would not send anything: give these requests their own time.
  session.client().set_deadline(std::chrono::steady_clock::now() +
                                2 * session.connection().request_timeout());
  // Airflow has no "cancelled": a run is stopped by marking it failed. A run that has ended
  // keeps its state (marking a successful run failed would misreport it).
  const auto run = find_run(session, api, dag_id, run_id);
  if (!run) return;
  if (airflow::dag_run_status(*run).phase != RemoteStatus::Phase::kRunning) {
    session.info("DAG run '" + run_id + "' has ended (" + string_field(*run, "state") + "): nothing to cancel");
    return;
  }
  Call call;
  call.method = "PATCH";
  call.path = api.dag_run_path(dag_id, run_id);
  boost::json::object body{{"state", "failed"}};
  // v1's UpdateDagRunState holds only the state; v2's DAGRunPatchBody also a note.
  if (api.version == ApiVersion::kV2) {
    std::string note = "Cancelled by jobhost";
    if (session.has_ctx())
      note += ": pipeline " + std::string(session.ctx().pipeline()) + ", job " +
              std::string(session.ctx().job_name());
    body["note"] = truncated(std::move(note), kMaxNote);
  }
  call.json = std::move(body);
  call.what = "mark DAG run '" + run_id + "' of DAG '" + dag_id + "' failed";
  session.client().send(call);
  session.info("marked DAG run '" + run_id + "' of DAG '" + dag_id + "' failed (cancelled)");
}

std::string AirflowEngine::probe(Session& session) const {
  const Connection& connection = session.connection();
  const Api api = airflow::api_of(connection);
  Call health;
  health.path = api.health_path();
  health.what = "read Airflow's health";
  health.authenticate = false;
  const std::string summary = health_summary(session.client().send(health).json);
  // The health endpoint needs no credentials: a DAG lookup does (404 once authenticated).
  Call check;
  check.path = api.dag_path(kProbeDag);
  check.what = "check the credentials";
  try {
    session.client().send(check);
  } catch (const ApiError& e) {
    if (e.kind() != ApiError::Kind::kNotFound) throw;
  }
  return std::string(api.product()) + " at " + connection.url() + " (API " + api.name() + "), " +
         describe_credentials(connection) + (summary.empty() ? "" : "; " + summary);
}

}  // namespace jobhost::connectors
