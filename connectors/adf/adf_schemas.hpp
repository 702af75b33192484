// What the adf plugin declares to the host: the pipeline_run config and outputs, its doc, and
// the `adf` connection type's keys (JSON Schema, the subset of docs/sdk.md). The schemas
// describe exactly what adf_engine.cpp, adf_start.cpp, adf_factory.cpp and the common
// RemoteJob read.
#pragma once

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::adf {

inline constexpr const char* kPipelineRunSchema = R"json({
  "type": "object",
  "required": ["connection", "pipeline"],
  "properties": {)json" JOBHOST_REMOTE_JOB_COMMON_PROPERTIES R"json(,
    "pipeline": {
      "type": "string",
      "minLength": 1,
      "description": "Name of the pipeline in the data factory",
      "examples": ["copy_sales"]
    },
    "parameters": {
      "type": ["object", "string"],
      "additionalProperties": true,
      "description": "Pipeline parameters, sent as the createRun body (strings, numbers, booleans, arrays, tables); or a string holding a JSON object",
      "examples": [{"run_date": "{{ run.logical_date }}"}]
    },
    "idempotency_parameter": {
      "type": "string",
      "minLength": 1,
      "description": "A String parameter the pipeline declares; it receives the attempt's idempotency key, so a start repeated after a crash finds its run exactly"
    },
    "subscription_id": {"type": "string", "minLength": 1, "description": "Overrides the connection's subscription_id"},
    "resource_group": {"type": "string", "minLength": 1, "description": "Overrides the connection's resource_group"},
    "factory": {"type": "string", "minLength": 1, "description": "Overrides the connection's factory"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kPipelineRunOutputs = R"json({
  "type": "object",
  "properties": {
    "run_id": {"type": "string", "description": "The pipeline run's id (runId)"},
    "url": {"type": "string", "description": "The run in ADF Studio's monitor"},
    "state": {"type": "string", "description": "The run's final status: Succeeded (only with wait = true)"},
    "status": {"type": "string", "description": "The same as state (ADF's field name); only with wait = true"},
    "duration_ms": {"type": "string", "description": "durationInMs of the run; only with wait = true"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kPipelineRunDoc =
    "Runs an Azure Data Factory pipeline (`createRun`, ARM api-version 2018-06-01) and waits for\n"
    "it without holding a worker (it reads the run every `poll_interval`).\n"
    "\n"
    "| ADF status | attempt |\n"
    "|---|---|\n"
    "| Queued, InProgress, Canceling | still running |\n"
    "| Succeeded | succeeded |\n"
    "| Failed | failed (retryable) with the run's message; each failed activity is logged as `activity NAME (TYPE): message` |\n"
    "| Cancelled | cancelled |\n"
    "\n"
    "**Starting once.** ADF has no request deduplication: every `createRun` makes a new run. The\n"
    "job therefore records its intent first and sends `createRun` at its first poll, after\n"
    "looking for a run it may have created already (`queryPipelineRuns`). If the host dies\n"
    "between `createRun` and recording the run, the next `jobhost run` finds that run instead of\n"
    "starting a second one. Set `idempotency_parameter` to the name of a String parameter of the\n"
    "pipeline: it receives the attempt's idempotency key and the run is then found exactly.\n"
    "Without it, a run of the same pipeline with the same parameters that started after the\n"
    "attempt is taken, and only when a start may have been sent before. A retry of the job is a\n"
    "new attempt and starts a new run.\n"
    "\n"
    "When the attempt times out or the run is cancelled, the pipeline run is cancelled\n"
    "(`cancel?isRecursive=true`). An unknown pipeline, factory or resource group fails at once\n"
    "(no retry), naming it and the connection.\n";

inline constexpr const char* kPipelineRunExample =
    "connection = \"adf\"\n"
    "pipeline = \"copy_sales\"\n"
    "parameters = { run_date = \"{{ run.logical_date }}\" }\n"
    "# idempotency_parameter = \"jobhost_key\"   # a String parameter of the pipeline\n"
    "# poll_interval = \"30s\"\n# wait = true\n";

inline constexpr const char* kConnectionSchema = R"json({
  "type": "object",
  "required": ["tenant_id", "client_id", "client_secret_secret"],
  "properties": {)json" JOBHOST_CONNECTION_COMMON_PROPERTIES R"json(,
    "authority_url": {
      "type": "string",
      "minLength": 1,
      "description": "Microsoft Entra ID authority (default https://login.microsoftonline.com)"
    },
    "tenant_id": {"type": "string", "minLength": 1, "description": "Directory (tenant) id"},
    "client_id": {"type": "string", "minLength": 1, "description": "The service principal's application (client) id"},
    "client_secret_secret": {
      "type": "string",
      "minLength": 1,
      "description": "Name of the secret holding the client secret"
    },
    "scope": {
      "type": "string",
      "minLength": 1,
      "description": "Token scope (default https://management.azure.com/.default)"
    },
    "subscription_id": {"type": "string", "minLength": 1, "description": "Subscription of the data factory"},
    "resource_group": {"type": "string", "minLength": 1, "description": "Resource group of the data factory"},
    "factory": {"type": "string", "minLength": 1, "description": "Name of the data factory"},
    "studio_url": {
      "type": "string",
      "minLength": 1,
      "description": "ADF Studio, for the runs' monitor links (default https://adf.azure.com)"
    }
  },
  "additionalProperties": false
})json";

inline constexpr const char* kConnectionSummary =
    "Azure Data Factory (Entra ID client credentials; url = ARM endpoint, default https://management.azure.com)";

}  // namespace jobhost::connectors::adf
