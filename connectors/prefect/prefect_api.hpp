// The parts of the Prefect server API the connector speaks that need no network: deployment
// references, UI links, and how a flow run's state reads as a RemoteStatus. Kept apart from
// PrefectEngine so that the mapping is unit-tested without a server.
//
// A connection's url is the API URL as Prefect clients use it (PREFECT_API_URL): a
// self-hosted server's ".../api", or Prefect Cloud's
// "https://api.prefect.cloud/api/accounts/ACCOUNT/workspaces/WORKSPACE". Paths such as
// "/flow_runs/{id}" are appended to it.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "jobhost_connectors/json_fields.hpp"
#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::prefect {

// A deployment named by its flow and deployment names ("etl/prod") or by its id (a uuid).
struct DeploymentRef {
  std::string id;          // set when given as a uuid
  std::string flow, name;  // set when given as "flow/deployment"
  std::string text() const { return id.empty() ? flow + "/" + name : id; }
};
// nullopt when `text` is neither a uuid nor "flow/deployment" with two non-empty parts.
std::optional<DeploymentRef> parse_deployment(std::string_view text);
bool is_uuid(std::string_view text);

// The UI base for an API URL: `ui_url` when configured; Prefect Cloud's API host becomes
// app.prefect.cloud with /account/A/workspace/W; a self-hosted ".../api" loses its "/api".
std::string ui_base(std::string_view api_url, std::string_view ui_url = {});
// The flow run's page in the UI.
std::string flow_run_url(std::string_view ui_base, std::string_view flow_run_id);

// How a flow run (FlowRunResponse) reads: its state's type decides the phase; a failure's
// message is the state's message, and the details say which state and run it was.
RemoteStatus flow_run_status(const boost::json::object& flow_run);


}  // namespace jobhost::connectors::prefect
