// The databricks plugin: the job type databricks.run_job and the connection type databricks.
#include "databricks_engine.hpp"
#include "databricks_schemas.hpp"

namespace dbx = jobhost::connectors::databricks;
using jobhost::connectors::RemoteJob;

JOBHOST_PLUGIN("databricks", "1.0.0", "Databricks Jobs: run a job and wait for it",
               jobhost::deferrable_job<RemoteJob<dbx::DatabricksEngine>>(
                   "run_job", "Runs a Databricks job (Jobs API 2.1) and waits for it", "1.0.0",
                   dbx::kRunJobExample)
                   .schema(dbx::kRunJobSchema)
                   .outputs(dbx::kRunJobOutputs)
                   .doc(dbx::kRunJobDoc))

JOBHOST_CONNECTION_TYPES(jobhost::connectors::connection_type<dbx::DatabricksEngine>(
    dbx::kConnectionSummary, dbx::kConnectionSchema))
