"""Fake Apache Airflow: REST API v1 (Airflow 2, under /api/v1) and v2 (Airflow 3, under
/api/v2, with POST /auth/token) from one process, sharing DAGs and DAG runs.

Credentials (fixed; every secret contains "S3cr3t"):
  v1  HTTP Basic  svc_jobhost / af-pass-S3cr3t-91
      or Bearer   af-token-S3cr3t-92 (static token)
  v2  POST /auth/token {"username": "svc_jobhost", "password": "af-pass-S3cr3t-91"}
      (JSON or form-encoded) -> 201 {"access_token": "af-jwt-S3cr3t-<hex>"}; then
      Bearer <access_token>. Tokens live 24 h unless expired through /_fake/control.
  Health endpoints need no credentials.

Targets are DAG ids. Predefined: etl_daily (success), fails (failed), cancels (never
ends by itself: 'hang', for cancel tests), slow (success after 5 s wall time).
Extra target key: "paused" (bool) - runs of a paused DAG stay queued until
PATCH /dags/{dag_id} {"is_paused": false}.

Semantics: dag_run_id unique per DAG (409 on reuse; a non-null logical_date too);
PATCH dagRun state=failed ends the run failed at once (running task -> failed,
unstarted -> skipped), success ends it successful, queued re-queues it. One task
instance per run, task_id "main".
"""

from __future__ import annotations

import time
import uuid

from server import Engine, Request, Response, advance, finish, now_iso

USER, PASSWORD, STATIC_TOKEN = "svc_jobhost", "af-pass-S3cr3t-91", "af-token-S3cr3t-92"
TOKEN_TTL = 24 * 3600
V1_ERRORS = "https://airflow.apache.org/docs/apache-airflow/2.10.0/stable-rest-api-ref.html" \
            "#section/Errors/"
V1, V2 = "airflow_v1.json", "airflow_v2.json"
TASK = "main"


def _iso(ts: float | None) -> str | None:
    return None if ts is None else now_iso(ts, z=False)


class Airflow(Engine):
    name = "airflow"
    spec_files = (V1, V2)
    outcomes = ("success", "failed", "hang")
    defaults = {**Engine.defaults, "paused": False}

    def predefined_targets(self) -> dict[str, dict]:
        return {
            "etl_daily": {"outcome": "success"},
            "fails": {"outcome": "failed", "message": "Task main failed: exit code 1"},
            "cancels": {"outcome": "hang"},
            "slow": {"outcome": "success", "duration_ms": 5000},
        }

    def operation_handlers(self):
        return {
            f"{V1}:get_health": self.health, f"{V2}:get_health": self.health,
            f"{V2}:create_token": self.create_token,
            f"{V1}:get_dag": self.get_dag, f"{V2}:get_dag": self.get_dag,
            f"{V1}:patch_dag": self.patch_dag, f"{V2}:patch_dag": self.patch_dag,
            f"{V1}:post_dag_run": self.trigger, f"{V2}:trigger_dag_run": self.trigger,
            f"{V1}:get_dag_run": self.get_run, f"{V2}:get_dag_run": self.get_run,
            f"{V1}:update_dag_run_state": self.patch_run, f"{V2}:patch_dag_run": self.patch_run,
            f"{V1}:get_task_instances": self.task_instances,
            f"{V2}:get_task_instances": self.task_instances,
        }

    # ---- errors and auth ----------------------------------------------------------------
    @staticmethod
    def _v1(req: Request) -> bool:
        return req.path.startswith("/api/v1")

    def error(self, req, status, message, code=None):
        if self._v1(req):
            titles = {400: ("Bad Request", "BadRequest"), 401: ("Unauthorized", "Unauthenticated"),
                      403: ("Forbidden", "PermissionDenied"), 404: ("Not Found", "NotFound"),
                      405: ("Method Not Allowed", "MethodNotAllowed"),
                      409: ("Conflict", "AlreadyExists")}
            title, kind = titles.get(status, ("Error", "Unknown"))
            return Response(status, {"detail": message, "status": status,
                                     "title": code or title, "type": V1_ERRORS + kind})
        return Response(status, {"detail": message})

    def invalid(self, req, problems):
        if self._v1(req):
            return self.error(req, 400, "; ".join(problems))
        schema = req.op.responses.get("422") if req.op else None
        if schema and "ValidationError" in str(schema):
            return Response(422, {"detail": [{"loc": ["request"], "msg": p, "type": "value_error"}
                                             for p in problems]})
        return Response(422, {"detail": "; ".join(problems)})

    def authenticate(self, req):
        if self.options.no_auth or req.op.operation_id in ("get_health", "create_token"):
            return None
        if self._v1(req):
            if req.basic() == (USER, PASSWORD) or req.bearer() == STATIC_TOKEN:
                return None
            response = self.error(req, 401, "Incorrect credentials or missing Authorization "
                                            "header", "Unauthorized")
            response.headers["WWW-Authenticate"] = 'Basic realm="Airflow"'
            return response
        token = req.bearer()
        if token is None:
            return Response(401, {"detail": "Not authenticated"},
                            {"WWW-Authenticate": "Bearer"})
        status = self.token_status(token, "airflow-jwt")
        if status == "valid":
            return None
        detail = "Token has expired" if status == "expired" else "Invalid JWT token"
        return Response(401, {"detail": detail}, {"WWW-Authenticate": "Bearer"})

    # ---- auth and health ----------------------------------------------------------------
    def create_token(self, req):
        body = req.json_body() if "json" in (req.headers.get("Content-Type") or "") \
            else req.form()
        body = body if isinstance(body, dict) else {}
        if (body.get("username"), body.get("password")) != (USER, PASSWORD):
            self.store.data["log"]["token_requests"] += 1
            return Response(401, {"detail": "Invalid credentials"})
        return Response(201, {"access_token": self.issue_token("airflow-jwt", "af-jwt",
                                                                TOKEN_TTL, user=USER)})

    def health(self, req):
        beat = now_iso(z=not self._v1(req))
        if self._v1(req):
            return Response(200, {
                "metadatabase": {"status": "healthy"},
                "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": beat},
                "triggerer": {"status": "healthy", "latest_triggerer_heartbeat": beat},
                "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None}})
        return Response(200, {
            "metadatabase": {"status": "healthy"},
            "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": beat},
            "triggerer": {"status": "healthy", "latest_triggerer_heartbeat": beat},
            "dag_processor": {"status": "healthy", "latest_dag_processor_heartbeat": beat}})

    # ---- DAGs ---------------------------------------------------------------------------
    def _dag_or_404(self, req) -> tuple[str, dict | None, Response | None]:
        dag_id = req.path_params["dag_id"]
        target = self.target(dag_id)
        if target is None:
            message = (f"DAG with dag_id: '{dag_id}' not found" if self._v1(req)
                       else f"The Dag with ID: `{dag_id}` was not found")
            return dag_id, None, self.error(req, 404, message, "DAG not found")
        return dag_id, target, None

    def _dag_view(self, req, dag_id: str, target: dict) -> dict:
        token = uuid.uuid5(uuid.NAMESPACE_URL, "dag:" + dag_id).hex
        common = {"dag_id": dag_id, "dag_display_name": dag_id, "is_paused": target["paused"],
                  "fileloc": f"/opt/airflow/dags/{dag_id}.py", "file_token": token,
                  "owners": ["airflow"], "has_import_errors": False,
                  "has_task_concurrency_limits": False, "max_active_tasks": 16,
                  "max_active_runs": 16, "timetable_description": "Never, external triggers only"}
        if self._v1(req):
            return {**common, "is_active": True, "is_subdag": False, "description": None,
                    "tags": [], "schedule_interval": None, "last_parsed_time": now_iso(z=False)}
        return {**common, "is_stale": False, "timetable_partitioned": False, "tags": [],
                "max_consecutive_failed_dag_runs": 0, "timetable_summary": None,
                "bundle_name": "dags-folder", "bundle_version": None,
                "last_parsed_time": now_iso(), "description": None}

    def get_dag(self, req):
        dag_id, target, missing = self._dag_or_404(req)
        return missing or Response(200, self._dag_view(req, dag_id, target))

    def patch_dag(self, req):
        dag_id, target, missing = self._dag_or_404(req)
        if missing:
            return missing
        body = req.json_body() or {}
        if isinstance(body.get("is_paused"), bool):
            target["paused"] = body["is_paused"]
            self.store.dirty = True
        return Response(200, self._dag_view(req, dag_id, target))

    # ---- DAG runs -----------------------------------------------------------------------
    def _run_or_404(self, req) -> tuple[dict | None, Response | None]:
        dag_id, run_id = req.path_params["dag_id"], req.path_params["dag_run_id"]
        run = self.store.data["runs"].get(f"{dag_id}/{run_id}")
        if run is None:
            message = (f"DAGRun with DAG ID: '{dag_id}' and DagRun ID: '{run_id}' not found"
                       if self._v1(req) else
                       f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found")
            return None, self.error(req, 404, message, "DAGRun not found")
        return run, None

    def _progress(self, run: dict, count_read: bool) -> None:
        target = self.target(run["target"]) or {}
        if run["final"] is None and not target.get("paused"):
            advance(run, count_read)
            self.store.dirty = True

    def _state(self, run: dict) -> str:
        if run["final"] is not None:
            return "failed" if run["final"] == "failed" else "success"
        return "queued" if run["phase"] == "queued" else "running"

    def _run_view(self, req, run: dict) -> dict:
        a = run["airflow"]
        started = run.get("started") if run["phase"] != "queued" else None
        if self._v1(req):
            return {"dag_id": run["target"], "dag_run_id": a["dag_run_id"],
                    "logical_date": a["logical_date"], "execution_date": a["logical_date"],
                    "data_interval_start": a["data_interval_start"],
                    "data_interval_end": a["data_interval_end"],
                    "start_date": _iso(started), "end_date": _iso(run["ended"]),
                    "last_scheduling_decision": _iso(started), "run_type": "manual",
                    "state": self._state(run), "external_trigger": True, "conf": a["conf"],
                    "note": a["note"]}
        dag_id = run["target"]
        return {"dag_run_id": a["dag_run_id"], "dag_id": dag_id, "dag_display_name": dag_id,
                "logical_date": a["logical_date"], "queued_at": now_iso(run["created"]),
                "start_date": started and now_iso(started),
                "end_date": run["ended"] and now_iso(run["ended"]),
                "duration": (run["ended"] - (started or run["created"])) if run["ended"] else None,
                "data_interval_start": a["data_interval_start"],
                "data_interval_end": a["data_interval_end"], "run_after": a["run_after"],
                "last_scheduling_decision": started and now_iso(started), "run_type": "manual",
                "state": self._state(run), "triggered_by": "rest_api",
                "triggering_user_name": USER, "conf": a["conf"], "note": a["note"],
                "dag_versions": [self._dag_version(dag_id)], "bundle_version": None,
                "partition_key": None}

    def _dag_version(self, dag_id: str) -> dict:
        return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, "dagversion:" + dag_id)),
                "version_number": 1, "dag_id": dag_id, "bundle_name": "dags-folder",
                "bundle_version": None, "created_at": "2025-01-01T00:00:00Z",
                "dag_display_name": dag_id, "bundle_url": None}

    def trigger(self, req):
        dag_id, target, missing = self._dag_or_404(req)
        if missing:
            self.count_start(dag_id, False)
            return missing
        body = req.json_body()
        body = body if isinstance(body, dict) else {}
        v1 = self._v1(req)
        logical = body.get("logical_date")
        if v1:
            if body.get("execution_date") and logical and body["execution_date"] != logical:
                self.count_start(dag_id, False)
                return self.error(req, 400, "logical_date conflicts with execution_date")
            logical = logical or body.get("execution_date") or now_iso(z=False)
        run_after = body.get("run_after") or now_iso()
        run_id = body.get("dag_run_id") or f"manual__{logical or run_after}"
        runs = self.store.data["runs"]
        conflict = None
        if f"{dag_id}/{run_id}" in runs:
            conflict = (f"DAGRun with DAG ID: '{dag_id}' and DAGRun ID: '{run_id}' already exists"
                        if v1 else f"DAG Run with id `{run_id}` already exists for dag `{dag_id}`")
        elif logical is not None and any(
                r["target"] == dag_id and r["airflow"]["logical_date"] == logical
                for r in runs.values()):
            conflict = (f"DAGRun with DAG ID: '{dag_id}' and DAGRun logical date: '{logical}' "
                        f"already exists")
        self.count_start(dag_id, conflict is None)
        if conflict:
            return self.error(req, 409, conflict, "Conflict")
        interval = logical if v1 else body.get("data_interval_start")
        run = self.new_run(f"{dag_id}/{run_id}", dag_id, airflow={
            "dag_run_id": run_id, "logical_date": logical, "run_after": run_after,
            "data_interval_start": interval,
            "data_interval_end": body.get("data_interval_end") or interval,
            "conf": body.get("conf") or {}, "note": body.get("note"),
            "api": "v1" if v1 else "v2", "cancelled_by_patch": False})
        self.store.dirty = True
        return Response(200, self._run_view(req, run))

    def get_run(self, req):
        run, missing = self._run_or_404(req)
        if missing:
            return missing
        self._progress(run, count_read=True)
        return Response(200, self._run_view(req, run))

    def patch_run(self, req):
        run, missing = self._run_or_404(req)
        if missing:
            return missing
        body = req.json_body() or {}
        state = body.get("state")
        if "note" in body:
            run["airflow"]["note"] = body["note"]
        self._progress(run, count_read=False)
        if state in ("failed", "success"):
            if run["final"] is None:
                run["airflow"]["cancelled_by_patch"] = state == "failed"
                run["airflow"]["phase_at_patch"] = run["phase"]
                finish(run, state)
        elif state == "queued":
            run.update(final=None, ended=None, phase="queued", reads=0, started=None,
                       created=time.time())
        self.store.dirty = True
        return Response(200, self._run_view(req, run))

    # ---- task instances -----------------------------------------------------------------
    def _task_state(self, run: dict) -> str | None:
        if run["final"] is None:
            return "running" if run["phase"] == "running" else "scheduled"
        if run["final"] == "success":
            return "success"
        if run["airflow"].get("cancelled_by_patch") and \
                run["airflow"].get("phase_at_patch") == "queued":
            return "skipped"
        return "failed"

    def task_instances(self, req):
        run, missing = self._run_or_404(req)
        if missing:
            return missing
        self._progress(run, count_read=False)
        a, dag_id = run["airflow"], run["target"]
        state = self._task_state(run)
        started = run.get("started") if state not in ("scheduled", "skipped") else None
        ended = run["ended"] if run["final"] is not None else None
        common = {"task_id": TASK, "task_display_name": TASK, "dag_id": dag_id,
                  "dag_run_id": a["dag_run_id"], "state": state, "try_number": 1,
                  "max_tries": 0, "map_index": -1, "pool": "default_pool", "pool_slots": 1,
                  "queue": "default", "priority_weight": 1, "operator": "BashOperator",
                  "executor_config": "{}", "executor": None, "note": None, "pid": None,
                  "rendered_fields": {}, "rendered_map_index": None,
                  "duration": (ended - started) if (ended and started) else None}
        if self._v1(req):
            # A v2-triggered run may have no logical date; v1 requires a string here.
            ti = {**common, "execution_date": a["logical_date"] or a["run_after"],
                  "start_date": _iso(started),
                  "end_date": _iso(ended), "queued_when": _iso(run["created"]),
                  "hostname": "fake-worker" if started else "", "unixname": "airflow"}
        else:
            ti = {**common, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ti:{run['id']}:{TASK}")),
                  "dag_display_name": dag_id, "logical_date": a["logical_date"],
                  "run_after": a["run_after"], "start_date": started and now_iso(started),
                  "end_date": ended and now_iso(ended), "queued_when": now_iso(run["created"]),
                  "scheduled_when": now_iso(run["created"]), "operator_name": "BashOperator",
                  "hostname": "fake-worker" if started else None, "unixname": "airflow",
                  "dag_version": self._dag_version(dag_id)}
        return Response(200, {"task_instances": [ti], "total_entries": 1})

    # ---- /_fake/log ---------------------------------------------------------------------
    def run_view(self, run):
        return {"id": run["id"], "target": run["target"],
                "dag_run_id": run["airflow"]["dag_run_id"],
                "state": self._state(run), "reads": run["reads"], "api": run["airflow"]["api"],
                "conf": run["airflow"]["conf"],
                "cancelled": run["airflow"].get("cancelled_by_patch", False)}
