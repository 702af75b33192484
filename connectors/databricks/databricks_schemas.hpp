// What the databricks plugin declares to the host: the run_job config and outputs, its doc,
// and the `databricks` connection type's keys (JSON Schema, the subset of docs/sdk.md).
// The subset cannot say "job_parameters only with job_id": start_kind() checks that.
// The schemas describe exactly what databricks_request.cpp, databricks_engine.cpp and the
// common RemoteJob read.
#pragma once

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::databricks {

inline constexpr const char* kRunJobSchema = R"json({
  "type": "object",
  "required": ["connection"],
  "oneOf": [{"required": ["job_id"]}, {"required": ["submit"]}],
  "properties": {)json" JOBHOST_REMOTE_JOB_COMMON_PROPERTIES R"json(,
    "job_id": {
      "type": ["integer", "string"],
      "minimum": 1,
      "description": "The Databricks job to run (its numeric id; a string of digits from a template works too); not with submit",
      "examples": [11223344]
    },
    "submit": {
      "type": ["object", "string"],
      "additionalProperties": true,
      "description": "A one-time run instead of job_id: the body of POST /api/2.1/jobs/runs/submit (tasks, run_name, timeout_seconds, ...), a table or a string holding a JSON object; at least one task, each with a task_key. idempotency_token is always the attempt's (one given here is replaced)",
      "examples": [{"run_name": "backfill_{{ run.logical_date }}", "tasks": [{"task_key": "main", "existing_cluster_id": "0101-000000-abcdef", "spark_python_task": {"python_file": "/Workspace/Shared/backfill.py", "parameters": ["{{ run.logical_date }}"]}}]}]
    },
    "job_parameters": {
      "type": "object",
      "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
      "description": "Job-level parameters (run-now job_parameters; with job_id only); values are sent as text",
      "examples": [{"run_date": "{{ run.logical_date }}"}]
    },
    "notebook_params": {
      "type": "object",
      "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
      "description": "Legacy parameters for notebook tasks (dbutils.widgets; with job_id only); not with jar_params"
    },
    "python_params": {
      "type": "array",
      "items": {"type": ["string", "integer", "number", "boolean"]},
      "description": "Legacy command-line parameters for Python tasks (with job_id only)"
    },
    "jar_params": {
      "type": "array",
      "items": {"type": ["string", "integer", "number", "boolean"]},
      "description": "Legacy parameters for Spark JAR tasks (with job_id only); not with notebook_params"
    },
    "success_with_failures": {
      "type": "string",
      "enum": ["failed", "succeeded"],
      "default": "failed",
      "description": "What a run that ended SUCCESS_WITH_FAILURES (some tasks failed, the leaf tasks succeeded) counts as"
    }
  },
  "additionalProperties": false
})json";

inline constexpr const char* kRunJobOutputs = R"json({
  "type": "object",
  "properties": {
    "run_id": {"type": "string", "description": "The Databricks run id"},
    "url": {"type": "string", "description": "The run's page in the workspace (run_page_url once known)"},
    "state": {"type": "string", "description": "result_state when the run terminated normally (SUCCESS, ...), else its life cycle state; only with wait = true"},
    "result_state": {"type": "string", "description": "state.result_state (empty when the run has none); only with wait = true"},
    "life_cycle_state": {"type": "string", "description": "state.life_cycle_state; only with wait = true"},
    "termination_code": {"type": "string", "description": "status.termination_details.code (empty on older workspaces); only with wait = true"},
    "run_page_url": {"type": "string", "description": "The run's page as Databricks reports it; only with wait = true"}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kRunJobDoc =
    "Runs an existing Databricks job through the Jobs API 2.1 (`job_id`: `POST\n"
    "/api/2.1/jobs/run-now`), or a one-time run (`submit`: its body is sent to `POST\n"
    "/api/2.1/jobs/runs/submit`), and waits for the run without holding a worker (it polls\n"
    "`runs/get` every `poll_interval`). Exactly one of `job_id` and `submit`.\n"
    "\n"
    "**Exactly one start per attempt.** The attempt's idempotency key is sent as\n"
    "`idempotency_token`; Databricks returns the run it already started for a repeated token, so\n"
    "a start repeated after a lost reply or a host crash never launches a second run. A retry of\n"
    "the job is a new attempt with a new key, and starts a new run. An `idempotency_token` in the\n"
    "`submit` body is replaced by the attempt's (with a warning in the attempt log): a fixed token\n"
    "would give every retry the first attempt's run back.\n"
    "\n"
    "**How a run ends** (`status.termination_details.code` when the workspace sends it, else\n"
    "`state.result_state`):\n"
    "\n"
    "| Databricks | attempt |\n"
    "|---|---|\n"
    "| SUCCESS | succeeded |\n"
    "| SUCCESS_WITH_FAILURES | failed (retryable), or succeeded with `success_with_failures = \"succeeded\"` |\n"
    "| FAILED, TIMEDOUT, INTERNAL_ERROR, MAXIMUM_CONCURRENT_RUNS_REACHED, UPSTREAM_FAILED, ... | failed (retryable), with the run's state message |\n"
    "| CANCELED, USER_CANCELED | cancelled |\n"
    "| life cycle SKIPPED, EXCLUDED, DISABLED | skipped |\n"
    "\n"
    "On a failure the error of each failed task (`runs/get-output`: `error` and a few lines of\n"
    "`error_trace`) is logged as `task KEY: ...`. When the attempt times out or the run is\n"
    "cancelled, the remote run is cancelled (`runs/cancel`). An unknown `job_id` fails at once\n"
    "(no retry), naming the job and the connection; so does a `submit` body Databricks refuses\n"
    "(400, with its message).\n"
    "\n"
    "Parameters of `job_id`: `job_parameters` (job-level parameters) or the legacy task\n"
    "parameters `notebook_params`, `python_params`, `jar_params`; values are sent as text. A\n"
    "`submit` run has its parameters in its tasks. `submit` is a table, or a string holding a JSON\n"
    "object (for keys with dots, e.g. `spark_conf`); it needs at least one task, each with a\n"
    "`task_key`; the rest is Databricks' to check.\n";

inline constexpr const char* kRunJobExample =
    "connection = \"dbx\"\n"
    "job_id = 11223344\n"
    "job_parameters = { run_date = \"{{ run.logical_date }}\" }\n"
    "# or, instead of job_id and job_parameters, a one-time run (runs/submit):\n"
    "# submit = { run_name = \"backfill\", tasks = [{ task_key = \"main\", existing_cluster_id = \"0101-000000-abcdef\", "
    "spark_python_task = { python_file = \"/Workspace/Shared/backfill.py\" } }] }\n"
    "# poll_interval = \"30s\"\n# wait = true\n";

inline constexpr const char* kConnectionSchema = R"json({
  "type": "object",
  "required": ["url"],
  "properties": {)json" JOBHOST_CONNECTION_COMMON_PROPERTIES R"json(,
    "token_secret": {
      "type": "string",
      "minLength": 1,
      "description": "Name of the secret holding a personal access token (sent as a bearer token)"
    },
    "client_id": {
      "type": "string",
      "minLength": 1,
      "description": "OAuth machine-to-machine: the service principal's application id"
    },
    "client_secret_secret": {
      "type": "string",
      "minLength": 1,
      "description": "OAuth machine-to-machine: name of the secret holding the client secret"
    }
  },
  "oneOf": [{"required": ["token_secret"]}, {"required": ["client_id", "client_secret_secret"]}],
  "additionalProperties": false
})json";

inline constexpr const char* kConnectionSummary =
    "Databricks workspace (url = workspace URL; token_secret, or client_id + client_secret_secret for OAuth M2M)";

}  // namespace jobhost::connectors::databricks
