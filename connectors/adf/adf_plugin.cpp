// The adf plugin: the job type adf.pipeline_run and the connection type adf.
#include "adf_engine.hpp"
#include "adf_schemas.hpp"

namespace adf = jobhost::connectors::adf;
using jobhost::connectors::RemoteJob;

JOBHOST_PLUGIN("adf", "1.0.0", "Azure Data Factory: run a pipeline and wait for it",
               jobhost::deferrable_job<RemoteJob<adf::AdfEngine>>(
                   "pipeline_run", "Runs an Azure Data Factory pipeline and waits for it", "1.0.0",
                   adf::kPipelineRunExample)
                   .schema(adf::kPipelineRunSchema)
                   .outputs(adf::kPipelineRunOutputs)
                   .doc(adf::kPipelineRunDoc))

JOBHOST_CONNECTION_TYPES(jobhost::connectors::connection_type<adf::AdfEngine>(
    adf::kConnectionSummary, adf::kConnectionSchema))
