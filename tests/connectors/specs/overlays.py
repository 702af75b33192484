"""Everything the fakes need beyond the official API descriptions, kept in one place.

extract_specs.py stores ADDITIONS[<file>] verbatim as the top-level
`x-jobhost-additions` object of each vendored spec; spec.py applies it at load time.
The copied official part of a file is never edited. Each entry says why it exists.

Shape of one ADDITIONS value:
  mount_prefix  URL prefix the engine serves the spec paths under (a path item may
                override it with "x-jobhost-mount", used for endpoints outside the API).
  transforms    named whole-document rewrites (see spec.py TRANSFORMS).
  patches       list of {"op", "path", "value", "reason"}; path is a JSON pointer into
                the file. op "add": the target must not exist yet; "replace": it must
                exist; "append": the target is an array and `value` (a list) is appended.
                spec.py refuses to load a file whose patch preconditions fail, so drift
                against a regenerated spec is noticed.
"""

FORM = "application/x-www-form-urlencoded"
S = "/components/schemas/"      # OpenAPI 3 schema pointer prefix


def _json_content(ref_or_schema):
    schema = {"$ref": ref_or_schema} if isinstance(ref_or_schema, str) else ref_or_schema
    return {"application/json": {"schema": schema}}


# --------------------------------------------------------------------------------------
# Airflow 2 (REST API v1)
# --------------------------------------------------------------------------------------
AIRFLOW_V1 = {
    "$comment": "Airflow 2.10 stable REST API. No schema changes are needed.",
    "mount_prefix": {"value": "/api/v1", "reason": "servers[0].url of the spec"},
    "transforms": [],
    "patches": [],
}

# --------------------------------------------------------------------------------------
# Airflow 3 (REST API v2 + simple auth manager)
# --------------------------------------------------------------------------------------
AIRFLOW_V2 = {
    "$comment": "Airflow 3.2.1 public API plus POST /auth/token from the simple auth "
                "manager spec. No schema changes are needed.",
    "mount_prefix": {"value": "", "reason": "the spec paths already start with /api/v2 "
                                            "and /auth/token is served at the root"},
    "transforms": [],
    "patches": [],
}

# --------------------------------------------------------------------------------------
# Databricks Jobs API 2.1
# --------------------------------------------------------------------------------------
_DBX_WHY_NEW = ("documented field that the late-2022 Jobs 2.1 spec predates; shape from "
                "databricks-sdk-go service/jobs/model.go @1ff3c785 (see "
                "shared/research/connector-contracts.md section 2)")

_OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}

DATABRICKS = {
    "$comment": "The public 2.1 spec predates several documented fields. They are added "
                "here with their types (which is stricter than relying on the absence "
                "of additionalProperties:false), plus the OAuth M2M endpoints, which are "
                "not in any public Jobs spec (hand-written, minimal).",
    "mount_prefix": {"value": "/api",
                     "reason": "servers[0].url is https://<databricks-instance>/api/"},
    "transforms": [],
    "patches": [
        # ---- newer enum values -------------------------------------------------------
        {"op": "append", "path": S + "RunLifeCycleState/enum",
         "value": ["QUEUED"], "reason": _DBX_WHY_NEW + " (RunLifeCycleState)"},
        {"op": "append", "path": S + "RunResultState/enum",
         "value": ["SUCCESS_WITH_FAILURES", "MAXIMUM_CONCURRENT_RUNS_REACHED", "EXCLUDED",
                   "UPSTREAM_FAILED", "UPSTREAM_CANCELED", "DISABLED"],
         "reason": _DBX_WHY_NEW + " (RunResultState)"},
        # ---- idempotency_token limit stated only in prose ----------------------------
        {"op": "add", "path": S + "RunNowInput/properties/idempotency_token/maxLength",
         "value": 64, "reason": "the spec's description says 'This token must have at most "
                                "64 characters'; made machine-checkable"},
        {"op": "add", "path": S + "RunSubmitSettings/properties/idempotency_token/maxLength",
         "value": 64, "reason": "as for run-now"},
        # ---- a malformed keyword in the official file ----------------------------------
        {"op": "replace", "path": S + "NewCluster/required", "value": ["spark_version"],
         "reason": "the spec has \"required\": \"spark_version\" (a string, which JSON Schema "
                   "does not allow and jsonschema reads as the list of its letters); the "
                   "description makes spark_version the one required field"},
        # ---- the run `status` object (V2 state) ----------------------------------------
        {"op": "add", "path": S + "RunStatus", "reason": _DBX_WHY_NEW,
         "value": {
             "type": "object",
             "properties": {
                 "state": {"type": "string", "enum": ["QUEUED", "PENDING", "BLOCKED", "WAITING",
                                                      "RUNNING", "TERMINATING", "TERMINATED"]},
                 "termination_details": {
                     "type": "object",
                     "properties": {
                         "code": {"type": "string", "enum": [
                             "SUCCESS", "SUCCESS_WITH_FAILURES", "USER_CANCELED", "CANCELED",
                             "RUN_EXECUTION_ERROR", "DRIVER_ERROR", "CLUSTER_ERROR",
                             "CLOUD_FAILURE", "MAX_CONCURRENT_RUNS_EXCEEDED",
                             "MAX_JOB_QUEUE_SIZE_EXCEEDED", "SKIPPED", "DISABLED",
                             "INVALID_RUN_CONFIGURATION", "LIBRARY_INSTALLATION_ERROR",
                             "RESOURCE_NOT_FOUND", "INTERNAL_ERROR", "UNAUTHORIZED_ERROR",
                             "STORAGE_ACCESS_ERROR", "REPOSITORY_CHECKOUT_FAILED",
                             "FEATURE_DISABLED", "WORKSPACE_RUN_LIMIT_EXCEEDED",
                             "CLUSTER_REQUEST_LIMIT_EXCEEDED", "INVALID_CLUSTER_REQUEST",
                             "MAX_SPARK_CONTEXTS_EXCEEDED", "BUDGET_POLICY_LIMIT_EXCEEDED",
                             "BREAKING_CHANGE"]},
                         "type": {"type": "string", "enum": ["SUCCESS", "CLIENT_ERROR",
                                                             "INTERNAL_ERROR", "CLOUD_FAILURE"]},
                         "message": {"type": "string"},
                     },
                 },
                 "queue_details": {
                     "type": "object",
                     "properties": {
                         "code": {"type": "string", "enum": [
                             "ACTIVE_RUNS_LIMIT_REACHED", "MAX_CONCURRENT_RUNS_REACHED",
                             "ACTIVE_RUN_JOB_TASKS_LIMIT_REACHED"]},
                         "message": {"type": "string"},
                     },
                 },
             },
         }},
        {"op": "add", "path": S + "Run/properties/status",
         "value": {"$ref": "#/components/schemas/RunStatus"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunTask/properties/status",
         "value": {"$ref": "#/components/schemas/RunStatus"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "Run/properties/run_duration",
         "value": {"type": "integer", "format": "int64"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "Run/properties/job_parameters",
         "reason": _DBX_WHY_NEW + " (Run.job_parameters: []JobParameter)",
         "value": {"type": "array", "items": {
             "type": "object",
             "properties": {"name": {"type": "string"}, "default": {"type": "string"},
                            "value": {"type": "string"}}}}},
        # ---- request fields ----------------------------------------------------------
        {"op": "add", "path": S + "QueueSettings", "reason": _DBX_WHY_NEW,
         "value": {"type": "object", "required": ["enabled"],
                   "properties": {"enabled": {"type": "boolean"}}}},
        {"op": "add", "path": S + "RunNowInput/properties/job_parameters",
         "reason": _DBX_WHY_NEW + " (RunNow.job_parameters: map[string]string)",
         "value": {"type": "object", "additionalProperties": {"type": "string"}}},
        {"op": "add", "path": S + "RunNowInput/properties/queue",
         "value": {"$ref": "#/components/schemas/QueueSettings"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunNowInput/properties/only",
         "value": {"type": "array", "items": {"type": "string"}}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunSubmitSettings/properties/queue",
         "value": {"$ref": "#/components/schemas/QueueSettings"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunSubmitSettings/properties/environments",
         "reason": _DBX_WHY_NEW + " (JobEnvironment)",
         "value": {"type": "array", "items": {
             "type": "object", "required": ["environment_key"],
             "properties": {"environment_key": {"type": "string"},
                            "spec": {"type": "object", "properties": {
                                "client": {"type": "string"},
                                "dependencies": {"type": "array",
                                                 "items": {"type": "string"}}}}}}}},
        {"op": "add", "path": S + "RunIf", "reason": _DBX_WHY_NEW,
         "value": {"type": "string", "enum": ["ALL_SUCCESS", "ALL_DONE", "NONE_FAILED",
                                              "AT_LEAST_ONE_SUCCESS", "ALL_FAILED",
                                              "AT_LEAST_ONE_FAILED"]}},
        {"op": "add", "path": S + "RunSubmitTaskSettings/properties/run_if",
         "value": {"$ref": "#/components/schemas/RunIf"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunSubmitTaskSettings/properties/environment_key",
         "value": {"type": "string"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunSubmitTaskSettings/properties/max_retries",
         "value": {"type": "integer", "format": "int32"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunSubmitTaskSettings/properties/min_retry_interval_millis",
         "value": {"type": "integer", "format": "int32"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "RunSubmitTaskSettings/properties/retry_on_timeout",
         "value": {"type": "boolean"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "JobTaskSettings/properties/run_if",
         "value": {"$ref": "#/components/schemas/RunIf"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "JobTaskSettings/properties/environment_key",
         "value": {"type": "string"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "JobSettings/properties/queue",
         "value": {"$ref": "#/components/schemas/QueueSettings"}, "reason": _DBX_WHY_NEW},
        {"op": "add", "path": S + "JobSettings/properties/parameters",
         "reason": _DBX_WHY_NEW + " (JobSettings.parameters: []JobParameterDefinition)",
         "value": {"type": "array", "items": {
             "type": "object", "required": ["name", "default"],
             "properties": {"name": {"type": "string"}, "default": {"type": "string"}}}}},
        # ---- not-found answers -------------------------------------------------------
        # A job or run id that does not exist is answered 400 INVALID_PARAMETER_VALUE
        # ("Job 999 does not exist."), which the spec's 400 response already covers
        # (see databricks-sdk-py v0.25.0 release notes). Nothing to add.
        # ---- OAuth M2M (hand-written: not in any public Jobs spec) -------------------
        {"op": "add", "path": "/paths/~1oidc~1.well-known~1oauth-authorization-server",
         "reason": "OAuth M2M discovery; hand-written from databricks-sdk-go "
                   "config/auth_m2m_test.go and docs.databricks.com oauth-m2m",
         "value": {
             "x-jobhost-mount": "",
             "get": {
                 "operationId": "x-jobhost-OidcDiscovery",
                 "responses": {"200": {"description": "RFC 8414 metadata",
                                       "content": _json_content({
                     "type": "object",
                     "required": ["issuer", "token_endpoint"],
                     "properties": {
                         "issuer": {"type": "string"},
                         "authorization_endpoint": {"type": "string"},
                         "token_endpoint": {"type": "string"},
                         "jwks_uri": {"type": "string"},
                         "grant_types_supported": {"type": "array", "items": {"type": "string"}},
                         "scopes_supported": {"type": "array", "items": {"type": "string"}},
                         "token_endpoint_auth_methods_supported": {
                             "type": "array", "items": {"type": "string"}},
                     }})}},
             }}},
        {"op": "add", "path": "/paths/~1oidc~1v1~1token",
         "reason": "OAuth M2M client-credentials token endpoint; hand-written (RFC 6749 "
                   "section 4.4; client authenticates with HTTP Basic or form fields)",
         "value": {
             "x-jobhost-mount": "",
             "post": {
                 "operationId": "x-jobhost-OidcToken",
                 "requestBody": {"required": True, "content": {FORM: {"schema": {
                     "type": "object",
                     "required": ["grant_type"],
                     "properties": {
                         "grant_type": {"type": "string", "enum": ["client_credentials"]},
                         "scope": {"type": "string"},
                         "client_id": {"type": "string"},
                         "client_secret": {"type": "string"},
                     }}}}},
                 "responses": {
                     "200": {"description": "token", "content": _json_content({
                         "type": "object",
                         "required": ["access_token", "token_type", "expires_in"],
                         "properties": {
                             "access_token": {"type": "string"},
                             "token_type": {"type": "string", "enum": ["Bearer"]},
                             "expires_in": {"type": "integer"},
                             "scope": {"type": "string"},
                         }})},
                     "400": {"description": "OAuth error", "content": _json_content(_OAUTH_ERROR)},
                     "401": {"description": "OAuth error", "content": _json_content(_OAUTH_ERROR)},
                 },
             }}},
    ],
}

# --------------------------------------------------------------------------------------
# Azure Data Factory (ARM 2018-06-01)
# --------------------------------------------------------------------------------------
_AAD_ERROR = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {
        "error": {"type": "string"},
        "error_description": {"type": "string"},
        "error_codes": {"type": "array", "items": {"type": "integer"}},
        "timestamp": {"type": "string"},
        "trace_id": {"type": "string"},
        "correlation_id": {"type": "string"},
    },
}

ADF = {
    "$comment": "ARM Swagger 2.0 as written for AutoRest. Two dialect points are made "
                "explicit, and the Entra ID (AAD) token endpoint is hand-written.",
    "mount_prefix": {"value": "", "reason": "paths are absolute ARM paths"},
    "transforms": [
        {"name": "autorest-any-object",
         "reason": "AutoRest reads a bare {\"type\": \"object\"} (no properties, "
                   "additionalProperties or allOf) as 'any JSON value' (AnyObject), e.g. "
                   "ParameterValueSpecification values, Pipeline.annotations items and "
                   "UserProperty.value, which ADF accepts as strings/arrays. Plain JSON "
                   "Schema would reject those, so such schemas are read as {}."},
    ],
    "patches": [
        {"op": "add", "path": "/definitions/PipelineRun/properties/runEnd/x-nullable",
         "value": True,
         "reason": "the official example examples/PipelineRuns_QueryByFactory.json shows an "
                   "in-progress run with \"runEnd\": null; the service sends null"},
        {"op": "add", "path": "/definitions/PipelineRun/properties/durationInMs/x-nullable",
         "value": True, "reason": "as runEnd (same example)"},
        {"op": "add", "path": "/parameters/api-version/enum", "value": ["2018-06-01"],
         "reason": "ARM rejects api-versions the resource provider does not register; this "
                   "file describes exactly info.version 2018-06-01"},
        {"op": "add", "path": "/paths/~1{tenant}~1oauth2~1v2.0~1token",
         "reason": "Microsoft identity platform v2 client-credentials token endpoint "
                   "(login.microsoftonline.com); hand-written from the public docs",
         "value": {
             "x-jobhost-mount": "",
             "post": {
                 "operationId": "x-jobhost-AadToken",
                 "consumes": ["application/x-www-form-urlencoded"],
                 "produces": ["application/json"],
                 "parameters": [
                     {"name": "tenant", "in": "path", "required": True, "type": "string"},
                     {"name": "grant_type", "in": "formData", "required": True,
                      "type": "string", "enum": ["client_credentials"]},
                     {"name": "client_id", "in": "formData", "required": False, "type": "string"},
                     {"name": "client_secret", "in": "formData", "required": False,
                      "type": "string"},
                     {"name": "scope", "in": "formData", "required": True, "type": "string",
                      "pattern": "/\\.default$"},
                 ],
                 "responses": {
                     "200": {"description": "token", "schema": {
                         "type": "object",
                         "required": ["token_type", "expires_in", "access_token"],
                         "properties": {
                             "token_type": {"type": "string", "enum": ["Bearer"]},
                             "expires_in": {"type": "integer"},
                             "ext_expires_in": {"type": "integer"},
                             "access_token": {"type": "string"},
                         }}},
                     "400": {"description": "AADSTS error", "schema": _AAD_ERROR},
                     "401": {"description": "AADSTS error", "schema": _AAD_ERROR},
                 },
             }}},
    ],
}

# --------------------------------------------------------------------------------------
# Prefect 3 server
# --------------------------------------------------------------------------------------
_PREFECT_SRC = "PrefectHQ/prefect src/prefect/server/api/"
_HTTP_EXCEPTION = {"type": "object", "required": ["detail"],
                   "properties": {"detail": {"type": "string"}}}
_UNAUTHORIZED = {"description": "PREFECT_SERVER_API_AUTH_STRING check failed (server.py "
                                "token_validation middleware)",
                 "content": _json_content({
                     "type": "object", "required": ["exception_message"],
                     "properties": {"exception_message": {"type": "string"}}})}
_NOT_FOUND = {"description": "HTTPException(404)", "content": _json_content(_HTTP_EXCEPTION)}


def _prefect_errors(op_path, method):
    """401 from the auth middleware and 404 from the route, both absent from the schema."""
    base = f"/paths/{op_path}/{method}/responses"
    return [
        {"op": "add", "path": base + "/401", "value": _UNAUTHORIZED,
         "reason": "the generated schema omits middleware answers"},
        {"op": "add", "path": base + "/404", "value": _NOT_FOUND,
         "reason": "the route raises HTTPException(404, 'Deployment not found' / "
                   "'Flow run not found'); the generated schema omits it"},
    ]


PREFECT = {
    "$comment": "FastAPI-generated OSS server schema. The routes set some status codes at "
                "run time, which the generated schema cannot show; those are added here.",
    "mount_prefix": {"value": "/api", "reason": "the server mounts the API app at /api "
                                                "(src/prefect/server/api/server.py)"},
    "transforms": [],
    "patches": [
        {"op": "add",
         "path": "/paths/~1deployments~1{id}~1create_flow_run/post/responses/201",
         "value": {"description": "Flow run created",
                   "content": _json_content("#/components/schemas/FlowRunResponse")},
         "reason": _PREFECT_SRC + "deployments.py create_flow_run_from_deployment sets 201 "
                   "when it created the run; 200 means an existing run was returned "
                   "(idempotency_key)"},
        {"op": "add",
         "path": "/paths/~1flow_runs~1{id}~1set_state/post/responses/201",
         "value": {"description": "New state created",
                   "content": _json_content("#/components/schemas/OrchestrationResult")},
         "reason": _PREFECT_SRC + "flow_runs.py set_flow_run_state answers 201 for ACCEPT and "
                   "REJECT (a state was written) and 200 for WAIT and ABORT"},
    ] + _prefect_errors("~1deployments~1name~1{flow_name}~1{deployment_name}", "get")
      + _prefect_errors("~1deployments~1{id}", "get")
      + _prefect_errors("~1deployments~1{id}~1create_flow_run", "post")
      + _prefect_errors("~1flow_runs~1{id}", "get")
      + _prefect_errors("~1flow_runs~1{id}~1set_state", "post"),
}

ADDITIONS = {
    "airflow_v1.json": AIRFLOW_V1,
    "airflow_v2.json": AIRFLOW_V2,
    "databricks_jobs_2.1.json": DATABRICKS,
    "adf_2018-06-01.json": ADF,
    "prefect.json": PREFECT,
}
