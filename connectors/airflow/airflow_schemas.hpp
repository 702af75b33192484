// What the airflow plugin declares: the dag_run job's config and outputs, its documentation,
// and the schema of an [connections.NAME] table of type "airflow". The schemas list exactly
// what AirflowEngine and RemoteJob read.
#pragma once

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::airflow {

inline constexpr const char* kDagRunExample =
    "connection = \"airflow_prod\"\n"
    "dag_id = \"etl_daily\"\n"
    "conf = { source = \"s3://bucket/{{ run.logical_date }}\" }\n"
    "# logical_date = \"2026-11-28T06:00:00Z\"   # default: the run's date, midnight UTC\n"
    "# wait = true\n# poll_interval = \"30s\"\n";

inline constexpr const char* kDagRunSchema = R"json({
  "type": "object",
  "properties": {)json" JOBHOST_REMOTE_JOB_COMMON_PROPERTIES R"json(,
    "dag_id": {"type": "string", "minLength": 1, "description": "The DAG to trigger", "examples": ["etl_daily"]},
    "conf": {
      "type": ["object", "string"],
      "additionalProperties": true,
      "description": "The DAG run's conf: a table, or a string holding a JSON object (for keys with dots)",
      "examples": [{"source": "s3://bucket/2026-11-28", "full": true}]
    },
    "logical_date": {
      "type": "string",
      "description": "The run's logical date: YYYY-MM-DD (midnight UTC) or an RFC 3339 date-time with a zone. Default: the pipeline run's logical date at midnight UTC; when Airflow has a run of that date already (a retry, a re-run), the trigger time instead",
      "examples": ["2026-11-28", "2026-11-28T06:00:00Z"]
    },
    "dag_run_id": {
      "type": "string",
      "minLength": 1,
      "description": "Override the run id (default jobhost__DATE__KEY, unique per attempt). A fixed id makes a retry re-attach to the run that failed"
    },
    "note": {"type": "string", "description": "The DAG run's note (default: which pipeline, run, job and attempt triggered it)"}
  },
  "required": ["connection", "dag_id"],
  "additionalProperties": false
})json";

inline constexpr const char* kDagRunOutputs = R"json({
  "type": "object",
  "properties": {
    "run_id": {"type": "string", "description": "The dag_run_id"},
    "dag_run_id": {"type": "string", "description": "The dag_run_id (same as run_id); when the run ended"},
    "dag_id": {"type": "string", "description": "The DAG; when the run ended"},
    "url": {"type": "string", "description": "The run in the Airflow UI"},
    "state": {"type": "string", "description": "Airflow's state of the run: queued, running, success, failed"},
    "logical_date": {"type": "string", "description": "The run's logical date as Airflow reports it; when the run ended"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kDagRunDoc =
    "Triggers a DAG run on an Apache Airflow server (a `[connections.NAME]` of type `airflow`)\n"
    "and waits for it without holding a thread: `POST /dags/{dag_id}/dagRuns`, then\n"
    "`GET .../dagRuns/{dag_run_id}` every `poll_interval`.\n\n"
    "- `success` -> ok; `queued`, `running` -> still waiting; `failed` -> a retryable failure\n"
    "  whose message names the failed tasks; each failed task instance is logged with a link to\n"
    "  its log. A retry triggers a new DAG run.\n"
    "- Started exactly once per attempt: the `dag_run_id` is `jobhost__<date>__<idempotency\n"
    "  key>`. When the same attempt triggers again (the host crashed before recording the run,\n"
    "  or an answer was lost), Airflow answers 409 and the job re-attaches to the run it made.\n"
    "- Airflow keeps one run per DAG and logical date. By default the logical date is the\n"
    "  pipeline run's date at midnight UTC; if that date is taken (a retry, a re-run) the run\n"
    "  is triggered with the current time instead, with a warning. An explicit `logical_date`\n"
    "  that is taken fails the attempt.\n"
    "- Cancelling the attempt (timeout, SIGTERM) marks a running DAG run `failed`\n"
    "  (`PATCH .../dagRuns/{id}`); Airflow has no cancelled state.\n"
    "- A paused DAG is reported in the log: its run stays queued until the DAG is unpaused.\n"
    "- `wait = false` succeeds right after the trigger, with `run_id` and `url`.\n";

inline constexpr const char* kConnectionSummary =
    "Apache Airflow REST API: v1 (Airflow 2) or v2 (Airflow 3)";

inline constexpr const char* kConnectionSchema = R"json({
  "type": "object",
  "properties": {)json" JOBHOST_CONNECTION_COMMON_PROPERTIES R"json(,
    "api_version": {
      "type": "string",
      "enum": ["v1", "v2"],
      "default": "v1",
      "description": "v1: Airflow 2 (/api/v1, HTTP Basic or bearer token); v2: Airflow 3 (/api/v2, a token from POST /auth/token, or a bearer token). url is the webserver's base URL, without /api"
    },
    "api": {"type": "string", "enum": ["v1", "v2"], "description": "Alias of api_version"},
    "username": {"type": "string", "minLength": 1, "description": "User for HTTP Basic (v1) or /auth/token (v2); with password_secret"},
    "password_secret": {"type": "string", "description": "Name of the secret holding the user's password"},
    "token_secret": {"type": "string", "description": "Name of the secret holding a bearer token (instead of username + password_secret)"}
  },
  "required": ["url"],
  "additionalProperties": false
})json";

}  // namespace jobhost::connectors::airflow
