// AirflowEngine's status, cancel and probe, and the DAG run lookup they share with the
// trigger.
#include "airflow_engine.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <optional>
#include <utility>

#include "airflow_internal.hpp"

namespace jobhost::connectors {
namespace airflow {
namespace {

boost::json::object object_of(const Reply& reply, const std::string& what) {
  if (!reply.json.is_object())
    throw ApiError(ApiError::Kind::kRetryable, reply.status,
                   "Airflow answered " + what + " with something other than a JSON object");
  return reply.json.get_object();
}

}  // namespace

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

}  // namespace airflow

namespace {

using airflow::Api;
using airflow::ApiVersion;
using airflow::find_run;
using airflow::kMaxNote;
using airflow::kNotePrefix;
using airflow::truncated;

// A DAG id no Airflow has: looking it up proves the credentials without needing a real DAG
// (the answer is 404 once authenticated, 401/403 otherwise).
constexpr const char* kProbeDag = "jobhost-connection-test";

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
