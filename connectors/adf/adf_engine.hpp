// adf.pipeline_run: runs an Azure Data Factory pipeline (ARM api-version 2018-06-01) and
// watches it.
//
// ADF has no request deduplication: every createRun makes a new run. So the start has two
// phases. start() only records the intent, a pending handle {"phase": "starting", "since",
// "pipeline", factory}, which the host stores before anything is sent. The first status()
// then looks for a run this attempt may have created already (queryPipelineRuns since
// `since`), adopts it if found, and otherwise sends createRun once and returns the run's
// handle. A crash between createRun and the handle being recorded is thus re-attached with
// the pending handle, and the lookup finds the run instead of starting a second one.
//
// The lookup recognises the run exactly when the job names an `idempotency_parameter` (a
// pipeline parameter that receives the attempt's idempotency key). Without one it takes a run
// of the same pipeline with the same parameters started since `since`, and only when an
// earlier call may have sent createRun (a later poll, or a re-attached attempt).
//
//   status  GET .../pipelineruns/{runId}; on failure POST .../queryActivityruns, failed
//           activities logged as "activity A (type): message".
//   cancel  POST .../pipelineruns/{runId}/cancel?isRecursive=true.
//   probe   GET .../factories/{factory}.
// Authentication: Microsoft Entra ID client credentials (tenant_id, client_id,
// client_secret_secret; POST {authority_url}/{tenant}/oauth2/v2.0/token, scope
// https://management.azure.com/.default), cached per process, refreshed after a 401.
#pragma once

#include "adf_factory.hpp"
#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::adf {

class AdfEngine : public Engine {
 public:
  const char* title() const override { return "ADF"; }
  const char* connection_type() const override { return "adf"; }
  std::shared_ptr<Authenticator> authenticator(const Connection& connection) const override;
  Started start(Session& session) const override;
  RemoteStatus status(Session& session, const boost::json::object& handle) const override;
  void cancel(Session& session, const boost::json::object& handle) const override;
  std::string probe(Session& session) const override;
  const char* default_url() const override { return kDefaultArm; }
};

// The pending phase (adf_start.cpp): find this attempt's run or create it.
RemoteStatus start_pending(Session& session, const boost::json::object& handle);
// Asks for the cancellation of a pending start's run, if it exists (adf_start.cpp).
void cancel_pending(Session& session, const boost::json::object& handle);
// The handle of a started run: its id, monitor link and factory.
boost::json::object run_handle(const Session& session, const boost::json::object& pending,
                               const std::string& run_id);

}  // namespace jobhost::connectors::adf
