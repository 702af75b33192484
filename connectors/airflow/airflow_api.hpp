// The parts of the Airflow REST API the connector speaks that need no network: which API a
// connection uses, the run id and logical date of a trigger, the UI links, and how a DAG run
// and its task instances read as a RemoteStatus. Kept apart from AirflowEngine so that the
// mapping is unit-tested without a server.
//
// Two APIs, one shape: v1 is Airflow 2's stable REST API under /api/v1 (HTTP Basic or a
// static bearer token); v2 is Airflow 3's public API under /api/v2 (a JWT from POST
// /auth/token, or a static bearer token). Both have the same paths below the prefix for
// what we use, except health (/api/v1/health, /api/v2/monitor/health).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "jobhost_connectors/json_fields.hpp"
#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::airflow {

enum class ApiVersion { kV1, kV2 };

// What the connector needs to know about a connection's API version.
struct Api {
  ApiVersion version = ApiVersion::kV1;
  std::string base_url;  // the connection's url: the Airflow webserver, no trailing slash

  const char* name() const { return version == ApiVersion::kV1 ? "v1" : "v2"; }
  const char* product() const { return version == ApiVersion::kV1 ? "Airflow 2" : "Airflow 3"; }
  // "/api/v1" or "/api/v2": what RestClient paths start with.
  std::string prefix() const { return version == ApiVersion::kV1 ? "/api/v1" : "/api/v2"; }
  std::string health_path() const {
    return version == ApiVersion::kV1 ? "/api/v1/health" : "/api/v2/monitor/health";
  }
  // "/api/vN/dags/{dag_id}", with the id percent-encoded.
  std::string dag_path(std::string_view dag_id) const;
  // "/api/vN/dags/{dag_id}/dagRuns/{dag_run_id}".
  std::string dag_run_path(std::string_view dag_id, std::string_view dag_run_id) const;
  // The run's page in the Airflow UI (Airflow 2: the grid view; Airflow 3: the run page).
  std::string run_url(std::string_view dag_id, std::string_view dag_run_id) const;
  // Where a task instance's log is shown in the UI.
  std::string task_log_url(std::string_view dag_id, std::string_view dag_run_id,
                           std::string_view task_id, int64_t try_number) const;
};

// The connection's API: `api_version` (or its alias `api`) "v1" (default) or "v2".
// FatalError for another value, or when the two keys disagree.
Api api_of(const Connection& connection);

// The default dag_run_id: "jobhost__<YYYY-MM-DD>__<idempotency key>". The same for every
// start of one attempt, so that a repeated trigger is answered 409 and re-attaches; and
// within Airflow's default allowed_run_id_pattern ^[A-Za-z0-9_.~:+-]+$.
std::string default_dag_run_id(std::string_view logical_date, std::string_view key);
// True when `id` matches Airflow's default allowed_run_id_pattern and length (250).
bool valid_dag_run_id(std::string_view id);

// A config logical_date as RFC 3339 with a zone: "YYYY-MM-DD" becomes midnight UTC, a date
// and time must carry "Z" or an offset. Empty when it is neither.
std::string normalize_logical_date(std::string_view text);
// The current UTC time with microseconds ("2026-11-28T09:15:02.123456+00:00").
std::string now_rfc3339();

// How a DAG run object (v1 DAGRun / v2 DAGRunResponse) reads: phase and state. Unknown
// states count as running, so that a newer Airflow's state never fails a run by itself.
RemoteStatus dag_run_status(const boost::json::object& run);

struct FailedTask {
  std::string task_id;
  std::string state;  // failed, upstream_failed
  int64_t try_number = 0;
  int64_t map_index = -1;
};
// The failed and upstream_failed task instances of a task instance collection.
std::vector<FailedTask> failed_tasks(const boost::json::value& collection);
// One log line per failed task: "task extract: failed (try 2), log: URL".
std::vector<std::string> failed_task_lines(const Api& api, std::string_view dag_id,
                                           std::string_view dag_run_id,
                                           const std::vector<FailedTask>& tasks);


}  // namespace jobhost::connectors::airflow
