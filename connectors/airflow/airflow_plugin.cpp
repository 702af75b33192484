// The airflow plugin: job type airflow.dag_run and connection type "airflow".
#include "airflow_engine.hpp"
#include "airflow_schemas.hpp"

using jobhost::connectors::AirflowEngine;
namespace airflow = jobhost::connectors::airflow;

JOBHOST_PLUGIN("airflow", "1.0.0", "Apache Airflow: trigger and watch DAG runs",
               jobhost::deferrable_job<jobhost::connectors::RemoteJob<AirflowEngine>>(
                   "dag_run", "Triggers an Airflow DAG run and waits for it", "1.0.0",
                   airflow::kDagRunExample)
                   .schema(airflow::kDagRunSchema)
                   .outputs(airflow::kDagRunOutputs)
                   .doc(airflow::kDagRunDoc))

JOBHOST_CONNECTION_TYPES(jobhost::connectors::connection_type<AirflowEngine>(
    airflow::kConnectionSummary, airflow::kConnectionSchema))
