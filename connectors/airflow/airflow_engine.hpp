// Apache Airflow as a remote engine: triggers a DAG run, watches it, marks it failed to cancel.
//
// Exactly-once start: the dag_run_id is derived from the attempt's idempotency key, and
// Airflow refuses a second run with the same id (409). A repeated start of the same attempt
// (after a crash between the trigger and the host recording the handle, or a retried request
// whose answer was lost) therefore finds the run the first start created and re-attaches.
//
// Handle: {"run_id": dag_run_id, "url": UI link, "dag_id": ...}.
#pragma once

#include <memory>
#include <string>

#include "airflow_api.hpp"
#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors {

class AirflowEngine : public Engine {
 public:
  const char* title() const override { return "Airflow"; }
  const char* connection_type() const override { return "airflow"; }
  std::shared_ptr<Authenticator> authenticator(const Connection& connection) const override;
  Started start(Session& session) const override;
  RemoteStatus status(Session& session, const boost::json::object& handle) const override;
  void cancel(Session& session, const boost::json::object& handle) const override;
  std::string probe(Session& session) const override;
};

}  // namespace jobhost::connectors
