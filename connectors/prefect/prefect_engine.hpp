// Prefect as a remote engine: creates a flow run of a deployment, watches its state, and asks
// for CANCELLING to cancel it.
//
// Exactly-once start: create_flow_run carries the attempt's idempotency key; Prefect returns
// the flow run it already made for that key and deployment (200 instead of 201). A repeated
// start of the same attempt (after a crash before the host recorded the run, or a retried
// request whose answer was lost) therefore re-attaches to the first run.
//
// Handle: {"run_id": flow run id, "url": UI link, "deployment_id": ...}.
#pragma once

#include <memory>
#include <string>

#include "jobhost_connectors/remote_job.hpp"
#include "prefect_api.hpp"

namespace jobhost::connectors {

class PrefectEngine : public Engine {
 public:
  const char* title() const override { return "Prefect"; }
  const char* connection_type() const override { return "prefect"; }
  std::shared_ptr<Authenticator> authenticator(const Connection& connection) const override;
  Started start(Session& session) const override;
  RemoteStatus status(Session& session, const boost::json::object& handle) const override;
  void cancel(Session& session, const boost::json::object& handle) const override;
  std::string probe(Session& session) const override;
};

}  // namespace jobhost::connectors
