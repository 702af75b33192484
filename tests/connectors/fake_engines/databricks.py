"""Fake Databricks workspace: Jobs API 2.1 under /api/2.1/jobs and OAuth M2M under /oidc.

Credentials (fixed; every secret contains "S3cr3t"):
  PAT          Authorization: Bearer dapi-S3cr3t-93
  OAuth M2M    client_id dbx-client, client_secret dbx-S3cr3t-94, sent as HTTP Basic or
               as form fields to POST /oidc/v1/token (grant_type=client_credentials,
               scope=all-apis) -> {"access_token": "dbx-oauth-S3cr3t-<hex>",
               "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"}.
               GET /oidc/.well-known/oauth-authorization-server names that endpoint.

Targets are job ids ("101".."105" predefined) for run-now and run names for
runs/submit (an unknown run_name gets the default behaviour: success after 2 polls).
  101 success | 102 failed ("Py4JJavaError: boom", with error_trace in get-output)
  103 cancelled (TERMINATED/CANCELED by itself) | 104 SKIPPED | 105 INTERNAL_ERROR

Semantics: an idempotency_token seen before returns the same run_id (no new run; the
token is workspace-wide, as on Databricks). runs/cancel makes the next runs/get answer
TERMINATED/CANCELED (USER_CANCELED). Unknown job/run ids get 400
INVALID_PARAMETER_VALUE "Job 999 does not exist." as the real service does. Runs have
one task ("main", run_id = parent + 1); runs/get-output accepts the parent id (single
task) or the task run id.
"""

from __future__ import annotations

from server import Engine, Response, advance, finish

PAT = "dapi-S3cr3t-93"
CLIENT_ID, CLIENT_SECRET = "dbx-client", "dbx-S3cr3t-94"
TOKEN_TTL = 3600
SPEC = "databricks_jobs_2.1.json"
RUN_ID_BASE, RUN_ID_STEP = 455644830, 10
CREATED_MS = 1714564800000
ERROR_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
               404: "ENDPOINT_NOT_FOUND", 405: "ENDPOINT_NOT_FOUND",
               409: "RESOURCE_ALREADY_EXISTS", 429: "REQUEST_LIMIT_EXCEEDED",
               500: "INTERNAL_ERROR", 503: "TEMPORARILY_UNAVAILABLE"}

# outcome -> (life_cycle_state, result_state, termination code, termination type)
TERMINAL = {
    "success": ("TERMINATED", "SUCCESS", "SUCCESS", "SUCCESS"),
    "failed": ("TERMINATED", "FAILED", "RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    "cancelled": ("TERMINATED", "CANCELED", "CANCELED", "SUCCESS"),
    "user_canceled": ("TERMINATED", "CANCELED", "USER_CANCELED", "SUCCESS"),
    "skipped": ("SKIPPED", None, "SKIPPED", "CLIENT_ERROR"),
    "internal_error": ("INTERNAL_ERROR", "FAILED", "INTERNAL_ERROR", "INTERNAL_ERROR"),
}
DEFAULT_MESSAGES = {
    "failed": "Py4JJavaError: boom",
    "cancelled": "Run cancelled.",
    "user_canceled": "Run cancelled by user.",
    "skipped": "Skipping this run because the limit of 1 maximum concurrent runs has been "
               "reached.",
    "internal_error": "Cluster 0101-000000-fake was terminated. Reason: CLOUD_PROVIDER_"
                      "LAUNCH_FAILURE (CLOUD_FAILURE).",
}


def _ms(ts: float | None) -> int:
    return int(ts * 1000) if ts else 0


class Databricks(Engine):
    name = "databricks"
    spec_files = (SPEC,)
    outcomes = ("success", "failed", "cancelled", "skipped", "internal_error", "hang")
    defaults = {**Engine.defaults, "name": None}

    def predefined_targets(self):
        return {
            "101": {"outcome": "success", "name": "etl_success"},
            "102": {"outcome": "failed", "name": "etl_fails", "message": "Py4JJavaError: boom"},
            "103": {"outcome": "cancelled", "name": "etl_cancelled"},
            "104": {"outcome": "skipped", "name": "etl_skipped"},
            "105": {"outcome": "internal_error", "name": "etl_internal_error"},
        }

    def normalise_target(self, name, target):
        if not target.get("name"):
            target["name"] = name if not name.isdigit() else f"job_{name}"
        return target

    def operation_handlers(self):
        return {f"{SPEC}:{op}": h for op, h in {
            "x-jobhost-OidcDiscovery": self.discovery, "x-jobhost-OidcToken": self.token,
            "JobsGet": self.get_job, "JobsList": self.list_jobs, "JobsRunNow": self.run_now,
            "JobsRunsSubmit": self.submit, "JobsRunsGet": self.get_run,
            "JobsRunsGetOutput": self.get_output, "JobsRunsCancel": self.cancel}.items()}

    # ---- errors and auth ----------------------------------------------------------------
    def error(self, req, status, message, code=None):
        if req.path.startswith("/oidc/"):
            return Response(status, {"error": code or "invalid_request",
                                     "error_description": message})
        if status in (404, 405) and code is None:
            message = f"No API found for '{req.method} {req.path}'"
        return Response(status, {"error_code": code or ERROR_CODES.get(status, "UNKNOWN"),
                                 "message": message})

    def invalid(self, req, problems):
        return self.error(req, 400, "; ".join(problems),
                          "invalid_request" if req.path.startswith("/oidc/") else None)

    def authenticate(self, req):
        if self.options.no_auth or req.path.startswith("/oidc/"):
            return None
        token = req.bearer()
        if token == PAT or self.token_status(token, "databricks-oauth") == "valid":
            return None
        if token and self.token_status(token, "databricks-oauth") == "expired":
            return self.error(req, 401, "Token expired", "UNAUTHENTICATED")
        return self.error(req, 401, "Invalid access token.", "UNAUTHENTICATED")

    # ---- OAuth M2M ----------------------------------------------------------------------
    def discovery(self, req):
        base = req.base_url
        return Response(200, {
            "issuer": f"{base}/oidc", "authorization_endpoint": f"{base}/oidc/v1/authorize",
            "token_endpoint": f"{base}/oidc/v1/token", "jwks_uri": f"{base}/oidc/jwks.json",
            "grant_types_supported": ["client_credentials", "authorization_code",
                                      "refresh_token"],
            "scopes_supported": ["all-apis", "offline_access", "openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post", "none"]})

    def token(self, req):
        form = req.form()
        client = req.basic() or (form.get("client_id"), form.get("client_secret"))
        if form.get("grant_type") != "client_credentials":
            self.store.data["log"]["token_requests"] += 1
            return Response(400, {"error": "unsupported_grant_type",
                                  "error_description": "grant_type must be client_credentials"})
        if tuple(client) != (CLIENT_ID, CLIENT_SECRET):
            self.store.data["log"]["token_requests"] += 1
            return Response(401, {"error": "invalid_client",
                                  "error_description": "Client authentication failed"})
        scope = form.get("scope") or "all-apis"
        token = self.issue_token("databricks-oauth", "dbx-oauth", TOKEN_TTL, scope=scope)
        return Response(200, {"access_token": token, "token_type": "Bearer",
                              "expires_in": TOKEN_TTL, "scope": scope})

    # ---- jobs ---------------------------------------------------------------------------
    def _job_view(self, job_id: str) -> dict:
        target = self.target(job_id)
        return {"job_id": int(job_id), "creator_user_name": "svc-jobhost@example.com",
                "run_as_user_name": "svc-jobhost@example.com", "created_time": CREATED_MS,
                "settings": {"name": target["name"], "format": "MULTI_TASK",
                             "max_concurrent_runs": 1000, "timeout_seconds": 0,
                             "tasks": [{"task_key": "main",
                                        "existing_cluster_id": "0101-000000-fake",
                                        "spark_python_task": {
                                            "python_file": "/Workspace/Shared/run_cmd.py"}}]}}

    def _jobs(self) -> list[str]:
        return sorted((n for n in self.store.data["targets"] if n.isdigit()), key=int)

    def _param_int(self, req, name: str) -> int | None:
        try:
            return int(req.query.get(name, [""])[-1])
        except ValueError:
            return None

    def get_job(self, req):
        job_id = self._param_int(req, "job_id")
        if job_id is None or str(job_id) not in self._jobs():
            return self.error(req, 400, f"Job {job_id} does not exist.")
        return Response(200, self._job_view(str(job_id)))

    def list_jobs(self, req):
        limit = self._param_int(req, "limit") or 20
        offset = self._param_int(req, "offset") or 0
        name = req.query.get("name", [None])[-1]
        jobs = [j for j in self._jobs() if name is None or self.target(j)["name"] == name]
        page = jobs[offset:offset + limit]
        return Response(200, {"jobs": [self._job_view(j) for j in page],
                              "has_more": offset + limit < len(jobs)})

    # ---- starting runs ------------------------------------------------------------------
    def _start(self, req, target: str, run_type: str, body: dict) -> Response:
        extra = self.store.data["extra"]
        token = body.get("idempotency_token")
        if token and token in extra.setdefault("idempotency", {}):
            self.count_start(target, False)
            existing = extra["idempotency"][token]
            return Response(200, {"run_id": int(existing)} if run_type == "SUBMIT_RUN" else
                            {"run_id": int(existing), "number_in_job": int(existing)})
        number = self.store.counter("runs", 0)
        run_id = RUN_ID_BASE + RUN_ID_STEP * number
        keys = [t.get("task_key", "main") for t in body.get("tasks") or []
                if isinstance(t, dict)] or ["main"]
        tasks = [{"task_key": k, "run_id": run_id + 1 + i} for i, k in enumerate(keys)]
        self.new_run(str(run_id), target, dbx={
            "run_type": run_type, "job_id": int(target) if run_type == "JOB_RUN" else None,
            "run_name": body.get("run_name") or (self.target(target) or {}).get("name")
            or "Untitled", "tasks": tasks, "idempotency_token": token,
            "job_parameters": body.get("job_parameters"), "number": number})
        for task in tasks:
            extra.setdefault("task_runs", {})[str(task["run_id"])] = str(run_id)
        if token:
            extra["idempotency"][token] = str(run_id)
        self.count_start(target, True)
        self.store.dirty = True
        return Response(200, {"run_id": run_id} if run_type == "SUBMIT_RUN" else
                        {"run_id": run_id, "number_in_job": run_id})

    def run_now(self, req):
        body = req.json_body() or {}
        job_id = body.get("job_id", 0)
        if str(job_id) not in self._jobs():
            self.count_start(str(job_id), False)
            return self.error(req, 400, f"Job {job_id} does not exist.")
        return self._start(req, str(job_id), "JOB_RUN", body)

    def submit(self, req):
        body = req.json_body() or {}
        return self._start(req, body.get("run_name") or "Untitled", "SUBMIT_RUN", body)

    # ---- observing runs -----------------------------------------------------------------
    def _lookup(self, req, run_id) -> tuple[dict | None, dict | None, Response | None]:
        """(run, task or None, error) for a parent or task run id."""
        key = str(run_id)
        parent = self.store.data["extra"].get("task_runs", {}).get(key)
        run = self.store.data["runs"].get(parent or key)
        if run is None:
            return None, None, self.error(req, 400, f"Run {run_id} does not exist.")
        task = next((t for t in run["dbx"]["tasks"] if str(t["run_id"]) == key), None)
        return run, task, None

    def _progress(self, run: dict, count_read: bool) -> None:
        if run["final"] is None and run["cancel"] is not None and count_read:
            run["reads"] += 1
            finish(run, "user_canceled")
        else:
            advance(run, count_read)
        self.store.dirty = True

    def _state(self, run: dict) -> tuple[dict, dict]:
        """(state, status) objects of a run."""
        if run["final"] is None:
            life = "PENDING" if run["phase"] == "queued" else "RUNNING"
            return ({"life_cycle_state": life, "state_message": "",
                     "user_cancelled_or_timedout": False},
                    {"state": life})
        outcome = run["final"]
        life, result, code, kind = TERMINAL[outcome]
        message = run["behaviour"].get("message") or DEFAULT_MESSAGES.get(outcome, "")
        if outcome == "failed":
            message = f"Task main failed with message: {message}. This caused all downstream " \
                      f"tasks to get skipped."
        state = {"life_cycle_state": life, "state_message": message,
                 "user_cancelled_or_timedout": outcome == "user_canceled"}
        if result:
            state["result_state"] = result
        return state, {"state": "TERMINATED",
                       "termination_details": {"code": code, "type": kind, "message": message}}

    def _times(self, run: dict) -> dict:
        started = run.get("started") if run["phase"] != "queued" else None
        ended = run["ended"]
        total = _ms(ended) - _ms(run["created"]) if ended else 0
        execution = _ms(ended) - _ms(started) if ended and started else 0
        return {"start_time": _ms(run["created"]), "end_time": _ms(ended),
                "setup_duration": max(0, _ms(started) - _ms(run["created"])) if started else 0,
                "execution_duration": execution, "cleanup_duration": 0, "run_duration": total}

    def _run_view(self, req, run: dict) -> dict:
        d = run["dbx"]
        state, status = self._state(run)
        times = self._times(run)
        job = d["job_id"] if d["job_id"] is not None else 0
        view = {"run_id": int(run["id"]), "number_in_job": int(run["id"]),
                "original_attempt_run_id": int(run["id"]), "run_name": d["run_name"],
                "run_page_url": f"{req.base_url}/?o=0#job/{job}/run/{run['id']}",
                "run_type": d["run_type"], "trigger": "ONE_TIME", "attempt_number": 0,
                "creator_user_name": "svc-jobhost@example.com", "state": state,
                "status": status, **times,
                "tasks": [{"task_key": t["task_key"], "run_id": t["run_id"], "attempt_number": 0,
                           "state": state, "status": status,
                           "existing_cluster_id": "0101-000000-fake",
                           "start_time": times["start_time"], "end_time": times["end_time"],
                           "setup_duration": times["setup_duration"],
                           "execution_duration": times["execution_duration"],
                           "cleanup_duration": 0} for t in d["tasks"]]}
        if d["job_id"] is not None:
            view["job_id"] = d["job_id"]
        if d.get("job_parameters"):
            view["job_parameters"] = [{"name": k, "value": str(v), "default": ""}
                                      for k, v in sorted(d["job_parameters"].items())]
        return view

    def _task_view(self, req, run: dict, task: dict) -> dict:
        view = self._run_view(req, run)
        view.update(run_id=task["run_id"], number_in_job=task["run_id"],
                    original_attempt_run_id=task["run_id"], run_name=task["task_key"])
        view["tasks"] = []
        return view

    def get_run(self, req):
        run, task, missing = self._lookup(req, self._param_int(req, "run_id"))
        if missing:
            return missing
        self._progress(run, count_read=True)
        return Response(200, self._task_view(req, run, task) if task else
                        self._run_view(req, run))

    def get_output(self, req):
        run_id = self._param_int(req, "run_id")
        run, task, missing = self._lookup(req, run_id)
        if missing:
            return missing
        if task is None:
            if len(run["dbx"]["tasks"]) != 1:
                return self.error(req, 400, "Retrieving the output of runs with multiple "
                                            "tasks is not supported. Please retrieve the "
                                            "output of each individual task run instead.")
            task = run["dbx"]["tasks"][0]
        self._progress(run, count_read=False)
        output = {"metadata": self._task_view(req, run, task)}
        if run["final"] in ("failed", "internal_error"):
            message = run["behaviour"].get("message") or DEFAULT_MESSAGES[run["final"]]
            output["error"] = message
            output["error_trace"] = (
                "Traceback (most recent call last):\n"
                '  File "/Workspace/Shared/run_cmd.py", line 12, in <module>\n'
                "    subprocess.run(sys.argv[1], shell=True, check=True)\n"
                f"{message}")
        elif run["final"] == "success":
            output["logs"] = "done\n"
            output["logs_truncated"] = False
        return Response(200, output)

    def cancel(self, req):
        body = req.json_body() or {}
        run, _, missing = self._lookup(req, body.get("run_id"))
        if missing:
            return missing
        if run["final"] is None and run["cancel"] is None:
            run["cancel"] = {"requested": True}
            self.store.dirty = True
        return Response(200, {})

    # ---- /_fake/log ---------------------------------------------------------------------
    def run_view(self, run):
        state, status = self._state(run)
        return {"id": run["id"], "target": run["target"], "state": state["life_cycle_state"],
                "result_state": state.get("result_state"),
                "termination_code": status.get("termination_details", {}).get("code"),
                "reads": run["reads"], "run_type": run["dbx"]["run_type"],
                "idempotency_token": run["dbx"]["idempotency_token"],
                "job_parameters": run["dbx"]["job_parameters"],
                "cancel_requested": run["cancel"] is not None}
