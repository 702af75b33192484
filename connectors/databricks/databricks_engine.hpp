// databricks.run_job: runs an existing Databricks job, or a one-time run, (Jobs API 2.1) and
// watches it.
//
//   start   `job_id`: POST /api/2.1/jobs/run-now {job_id, idempotency_token, job_parameters,
//           ...}; `submit`: POST /api/2.1/jobs/runs/submit with that body and
//           idempotency_token. The token is the attempt's idempotency key: Databricks returns
//           the run it already started for a repeated token, so a start repeated after a crash
//           or a lost reply never launches a second run (exactly one start per attempt).
//   status  GET /api/2.1/jobs/runs/get?run_id= (mapping: databricks_status.hpp); on failure
//           GET runs/get-output for each failed task, logged as "task K: <error>".
//   cancel  POST /api/2.1/jobs/runs/cancel {run_id}.
//   probe   GET /api/2.1/jobs/list?limit=1.
//
// Authentication: `token_secret` (personal access token, sent as a bearer token) or
// `client_id` + `client_secret_secret` (OAuth M2M: the client credentials grant with scope
// "all-apis" at the token endpoint the workspace advertises under
// /oidc/.well-known/oauth-authorization-server, else {url}/oidc/v1/token; the token is
// cached per process and refreshed before it expires or after a 401).
#pragma once

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::databricks {

class DatabricksEngine : public Engine {
 public:
  const char* title() const override { return "Databricks"; }
  const char* connection_type() const override { return "databricks"; }
  std::shared_ptr<Authenticator> authenticator(const Connection& connection) const override;
  Started start(Session& session) const override;
  RemoteStatus status(Session& session, const boost::json::object& handle) const override;
  void cancel(Session& session, const boost::json::object& handle) const override;
  std::string probe(Session& session) const override;
};

enum class StartKind { kRunNow, kSubmit };

// Which request starts this attempt's run: `job_id` (run-now) or `submit` (runs/submit).
// FatalError when both or neither are given, or run-now parameters come with `submit`.
StartKind start_kind(const Context& ctx);

// The run-now request body for this attempt's config (job_id, idempotency_token and the
// parameters). FatalError for a config mistake.
boost::json::object run_now_body(const Context& ctx);

struct SubmitBody {
  boost::json::object body;     // the runs/submit body, idempotency_token set from the attempt
  bool replaced_token = false;  // the config's body had its own idempotency_token
};

// The runs/submit body: the config's `submit` (a table or a JSON object string), checked for
// what the Jobs 2.1 description requires of it (at least one task, each with a valid unique
// task_key; run_name a string; timeout_seconds an int32), with the attempt's
// idempotency_token in place of any the config gave. FatalError for a config mistake.
SubmitBody submit_body(const Context& ctx);

// The run's name as runs/submit will record it ("Untitled" when the body has none).
std::string submit_run_name(const boost::json::object& body);

}  // namespace jobhost::connectors::databricks
