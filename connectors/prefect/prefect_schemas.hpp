// What the prefect plugin declares: the deployment_run job's config and outputs, its
// documentation, and the schema of a [connections.NAME] table of type "prefect". The schemas
// list exactly what PrefectEngine and RemoteJob read.
#pragma once

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::prefect {

inline constexpr const char* kDeploymentRunExample =
    "connection = \"prefect\"\n"
    "deployment = \"etl/prod\"          # \"flow/deployment\", or the deployment's id\n"
    "parameters = { date = \"{{ run.logical_date }}\", full = false }\n"
    "# tags = [\"jobhost\"]\n# job_variables = { image = \"etl:2\" }\n"
    "# wait = true\n# poll_interval = \"30s\"\n";

inline constexpr const char* kDeploymentRunSchema = R"json({
  "type": "object",
  "properties": {)json" JOBHOST_REMOTE_JOB_COMMON_PROPERTIES R"json(,
    "deployment": {"type": "string", "minLength": 1, "description": "The deployment: \"flow/deployment\" or its id (a uuid)", "examples": ["etl/prod"]},
    "deployment_id": {"type": "string", "minLength": 1, "description": "The deployment's id (a uuid), instead of deployment"},
    "parameters": {
      "type": ["object", "string"],
      "additionalProperties": true,
      "description": "The flow's parameters (merged over the deployment's defaults): a table, or a string holding a JSON object",
      "examples": [{"date": "2026-11-28", "full": false}]
    },
    "tags": {"type": ["string", "array"], "items": {"type": "string"}, "description": "Tags of the flow run"},
    "job_variables": {
      "type": ["object", "string"],
      "additionalProperties": true,
      "description": "Overrides of the work pool's job variables: a table, or a string holding a JSON object"
    },
    "work_queue_name": {"type": "string", "description": "Run on this work queue instead of the deployment's"},
    "flow_run_name": {"type": "string", "description": "The flow run's name (default: Prefect's random name)"}
  },
  "oneOf": [{"required": ["deployment"]}, {"required": ["deployment_id"]}],
  "required": ["connection"],
  "additionalProperties": false
})json";

inline constexpr const char* kDeploymentRunOutputs = R"json({
  "type": "object",
  "properties": {
    "run_id": {"type": "string", "description": "The flow run's id"},
    "flow_run_id": {"type": "string", "description": "The flow run's id (same as run_id); when it ended"},
    "flow_run_name": {"type": "string", "description": "The flow run's name; when it ended"},
    "url": {"type": "string", "description": "The flow run in the Prefect UI"},
    "state": {"type": "string", "description": "The state type: COMPLETED when it succeeded"},
    "state_name": {"type": "string", "description": "The state's name (e.g. Completed, Cached)"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kDeploymentRunDoc =
    "Creates a flow run of a Prefect deployment (a `[connections.NAME]` of type `prefect`) and\n"
    "waits for it without holding a thread: `GET /deployments/name/{flow}/{deployment}`, `POST\n"
    "/deployments/{id}/create_flow_run`, then `GET /flow_runs/{id}` every `poll_interval`.\n\n"
    "- State type `COMPLETED` -> ok; `SCHEDULED`, `PENDING`, `RUNNING`, `PAUSED`, `CANCELLING`\n"
    "  -> still waiting; `FAILED`, `CRASHED` -> a retryable failure with the state's message (a\n"
    "  retry creates a new flow run); `CANCELLED` -> cancelled.\n"
    "- Started exactly once per attempt: the flow run is created with the attempt's\n"
    "  idempotency key, and Prefect returns the run it made for that key when the same attempt\n"
    "  asks again (after a host crash, or a lost answer).\n"
    "- Cancelling the attempt (timeout, SIGTERM) proposes the state `CANCELLING`\n"
    "  (`POST /flow_runs/{id}/set_state`), as Prefect's UI does.\n"
    "- `wait = false` succeeds right after the flow run is created, with `run_id` and `url`.\n";

inline constexpr const char* kConnectionSummary =
    "Prefect server or Prefect Cloud API (self-hosted .../api, or an account/workspace URL)";

inline constexpr const char* kConnectionSchema = R"json({
  "type": "object",
  "properties": {)json" JOBHOST_CONNECTION_COMMON_PROPERTIES R"json(,
    "api_key_secret": {"type": "string", "description": "Name of the secret holding a Prefect Cloud API key (sent as a bearer token)"},
    "username": {"type": "string", "minLength": 1, "description": "User of a self-hosted server's PREFECT_SERVER_API_AUTH_STRING (HTTP Basic); with password_secret"},
    "password_secret": {"type": "string", "description": "Name of the secret holding that password"},
    "ui_url": {"type": "string", "description": "Base URL of the Prefect UI for links (default: derived from url)"}
  },
  "required": ["url"],
  "additionalProperties": false
})json";

}  // namespace jobhost::connectors::prefect
