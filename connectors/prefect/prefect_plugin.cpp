// The prefect plugin: job type prefect.deployment_run and connection type "prefect".
#include "prefect_engine.hpp"
#include "prefect_schemas.hpp"

using jobhost::connectors::PrefectEngine;
namespace prefect = jobhost::connectors::prefect;

JOBHOST_PLUGIN("prefect", "1.0.0", "Prefect: run deployments and watch their flow runs",
               jobhost::deferrable_job<jobhost::connectors::RemoteJob<PrefectEngine>>(
                   "deployment_run", "Creates a flow run of a Prefect deployment and waits for it",
                   "1.0.0", prefect::kDeploymentRunExample)
                   .schema(prefect::kDeploymentRunSchema)
                   .outputs(prefect::kDeploymentRunOutputs)
                   .doc(prefect::kDeploymentRunDoc))

JOBHOST_CONNECTION_TYPES(jobhost::connectors::connection_type<PrefectEngine>(
    prefect::kConnectionSummary, prefect::kConnectionSchema))
