// databricks.run_job: runs an existing Databricks job (Jobs API 2.1) and watches it.
//
//   start   POST /api/2.1/jobs/run-now {job_id, idempotency_token, job_parameters, ...}. The
//           token is the attempt's idempotency key: Databricks returns the run it already
//           started for a repeated token, so a start repeated after a crash or a lost reply
//           never launches a second run (exactly one start per attempt).
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

// The run-now request body for this attempt's config (job_id, idempotency_token and the
// parameters). FatalError for a config mistake.
boost::json::object run_now_body(const Context& ctx);

}  // namespace jobhost::connectors::databricks
