"""Fake Prefect 3 server API, mounted at /api like the real server.

Credentials (fixed; every secret contains "S3cr3t"):
  Prefect Cloud style   Authorization: Bearer pnu_S3cr3t96
  self-hosted auth      Authorization: Basic base64("prefect:pf-S3cr3t-97")
                        (PREFECT_API_AUTH_STRING=prefect:pf-S3cr3t-97)
  --no-auth             no credentials needed (self-hosted default)
  GET /api/health never needs credentials (the real middleware exempts it).
  Wrong or missing credentials: 401 {"exception_message": "Unauthorized"}.

Targets are deployments "flow/deployment" with a stable uuid id (uuid5 of the name
unless the target sets "id"). Predefined: etl/prod (COMPLETED), etl/fails (FAILED,
"Flow run encountered an exception: ValueError('bad row')"), etl/cancels (CANCELLED by
itself), etl/crashes (CRASHED).

Semantics: create_flow_run answers 201 with a new SCHEDULED run, or 200 with the
existing run when the deployment already has a run with that idempotency_key. Runs go
SCHEDULED -> RUNNING -> terminal. set_state CANCELLING on a SCHEDULED run is REJECTed
and the run becomes CANCELLED at once (status 201, as BypassCancellingFlowRunsWithNoInfra
does); on a RUNNING run it is ACCEPTed (201, state CANCELLING) and the next read shows
CANCELLED. Setting any state on a terminal run is ABORTed (200) unless force is true.
"""

from __future__ import annotations

import time
import uuid

from server import Engine, Response, advance, finish, now_iso

API_KEY = "pnu_S3cr3t96"
BASIC_USER, BASIC_PASSWORD = "prefect", "pf-S3cr3t-97"
SPEC = "prefect.json"
TERMINAL = {"success": ("COMPLETED", "Completed"), "failed": ("FAILED", "Failed"),
            "cancelled": ("CANCELLED", "Cancelled"), "crashed": ("CRASHED", "Crashed")}
TYPE_TO_OUTCOME = {"COMPLETED": "success", "FAILED": "failed", "CANCELLED": "cancelled",
                   "CRASHED": "crashed"}
DEFAULT_MESSAGES = {
    "success": "All states completed.",
    "failed": "Flow run encountered an exception: RuntimeError('failed')",
    "cancelled": "Flow run was cancelled.",
    "crashed": "Flow run infrastructure exited with non-zero status code 1.",
}
ADJECTIVES = ("amber", "brisk", "calm", "daring", "eager", "fuzzy", "gentle", "humble")
ANIMALS = ("otter", "heron", "lynx", "marmot", "newt", "ocelot", "puffin", "quail")


def _uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"prefect-{kind}:{name}"))


class Prefect(Engine):
    name = "prefect"
    spec_files = (SPEC,)
    outcomes = ("success", "failed", "cancelled", "crashed", "hang")
    defaults = {**Engine.defaults, "id": None, "parameters": None}

    def predefined_targets(self):
        return {
            "etl/prod": {"outcome": "success"},
            "etl/fails": {"outcome": "failed",
                          "message": "Flow run encountered an exception: ValueError('bad row')"},
            "etl/cancels": {"outcome": "cancelled"},
            "etl/crashes": {"outcome": "crashed"},
        }

    def normalise_target(self, name, target):
        if name.count("/") != 1 or not all(name.split("/")):
            raise ValueError(f"Prefect targets are 'flow/deployment' names: {name!r}")
        target["id"] = target.get("id") or _uuid("deployment", name)
        target["parameters"] = target.get("parameters") or {}
        return target

    def operation_handlers(self):
        ops = {"health_check_health_get": self.health,
               "read_deployment_by_name_deployments_name__flow_name___deployment_name__get":
                   self.deployment_by_name,
               "read_deployment_deployments__id__get": self.deployment_by_id,
               "create_flow_run_from_deployment_deployments__id__create_flow_run_post":
                   self.create_flow_run,
               "read_flow_run_flow_runs__id__get": self.read_flow_run,
               "set_flow_run_state_flow_runs__id__set_state_post": self.set_state}
        return {f"{SPEC}:{op}": h for op, h in ops.items()}

    # ---- errors and auth ----------------------------------------------------------------
    def error(self, req, status, message, code=None):
        if status == 401:
            return Response(401, {"exception_message": "Unauthorized"})
        return Response(status, {"detail": message})

    def invalid(self, req, problems):
        return Response(422, {"detail": [{"loc": ["request"], "msg": p, "type": "value_error"}
                                         for p in problems]})

    def authenticate(self, req):
        if self.options.no_auth or (req.method == "GET" and req.path.endswith(("/health",
                                                                                "/ready"))):
            return None
        if req.bearer() == API_KEY or req.basic() == (BASIC_USER, BASIC_PASSWORD):
            return None
        return self.error(req, 401, "Unauthorized")

    def health(self, req):
        return Response(200, True)

    # ---- deployments --------------------------------------------------------------------
    def _deployment_view(self, name: str) -> dict:
        target = self.target(name)
        flow, deployment = name.split("/")
        created = "2025-01-01T00:00:00Z"
        return {"id": target["id"], "created": created, "updated": created, "name": deployment,
                "version": None, "description": None, "flow_id": _uuid("flow", flow),
                "paused": False, "schedules": [], "concurrency_limit": None,
                "global_concurrency_limit": None, "concurrency_options": None,
                "job_variables": {}, "parameters": target["parameters"], "tags": [],
                "labels": {}, "work_queue_name": "default", "work_queue_id": None,
                "last_polled": now_iso(), "parameter_openapi_schema":
                    {"type": "object", "properties": {}},
                "path": None, "pull_steps": None, "entrypoint": f"flows/{flow}.py:{flow}",
                "storage_document_id": None, "infrastructure_document_id": None,
                "created_by": None, "updated_by": None, "work_pool_name": "default-pool",
                "status": "READY", "enforce_parameter_schema": False}

    def _by_id(self, deployment_id: str) -> str | None:
        return next((n for n, t in self.store.data["targets"].items()
                     if t["id"] == deployment_id), None)

    def deployment_by_name(self, req):
        name = f"{req.path_params['flow_name']}/{req.path_params['deployment_name']}"
        if self.target(name) is None:
            return self.error(req, 404, "Deployment not found")
        return Response(200, self._deployment_view(name))

    def deployment_by_id(self, req):
        name = self._by_id(req.path_params["id"])
        if name is None:
            return self.error(req, 404, "Deployment not found")
        return Response(200, self._deployment_view(name))

    # ---- flow runs ----------------------------------------------------------------------
    def create_flow_run(self, req):
        name = self._by_id(req.path_params["id"])
        if name is None:
            self.count_start(req.path_params["id"], False)
            return self.error(req, 404, "Deployment not found")
        body = req.json_body() or {}
        key = body.get("idempotency_key")
        keys = self.store.data["extra"].setdefault("idempotency", {})
        if key and f"{name}\n{key}" in keys:
            self.count_start(name, False)
            run = self.store.data["runs"][keys[f"{name}\n{key}"]]
            self._progress(run, count_read=False)
            return Response(200, self._run_view(run))
        number = self.store.counter("flow_runs", 0)
        run_id = str(uuid.uuid4())
        run_name = body.get("name") or \
            f"{ADJECTIVES[number % 8]}-{ANIMALS[(number // 8) % 8]}-{number}"
        target = self.target(name)
        run = self.new_run(run_id, name, prefect={
            "name": run_name, "deployment_id": target["id"],
            "flow_id": _uuid("flow", name.split("/")[0]),
            "parameters": {**target["parameters"], **(body.get("parameters") or {})},
            "tags": sorted(set(body.get("tags") or [])), "idempotency_key": key,
            "labels": body.get("labels") or {}, "context": body.get("context") or {},
            "work_queue_name": body.get("work_queue_name") or "default",
            "state": None, "cancel_reason": None})
        if key:
            keys[f"{name}\n{key}"] = run_id
        self.count_start(name, True)
        self._progress(run, count_read=False)
        self.store.dirty = True
        return Response(201, self._run_view(run))

    def _run_or_404(self, req) -> tuple[dict | None, Response | None]:
        run = self.store.data["runs"].get(req.path_params["id"])
        if run is None:
            return None, self.error(req, 404, "Flow run not found")
        return run, None

    def _progress(self, run: dict, count_read: bool) -> None:
        if run["final"] is None and run["phase"] == "cancelling":
            if count_read:
                run["reads"] += 1
                finish(run, "cancelled")
        else:
            advance(run, count_read)
        self._sync_state(run)
        self.store.dirty = True

    def _sync_state(self, run: dict) -> None:
        """Give the run a new State (id, timestamp) whenever its type changes."""
        if run["final"] is not None:
            state_type, state_name = TERMINAL[run["final"]]
            message = run["prefect"]["cancel_reason"] or run["behaviour"].get("message") \
                or DEFAULT_MESSAGES[run["final"]]
        else:
            state_type, state_name = {"queued": ("SCHEDULED", "Scheduled"),
                                      "running": ("RUNNING", "Running"),
                                      "cancelling": ("CANCELLING", "Cancelling")}[run["phase"]]
            message = run["prefect"]["cancel_reason"] if run["phase"] == "cancelling" else None
        current = run["prefect"]["state"]
        if current is None or current["type"] != state_type:
            run["prefect"]["state"] = {"id": str(uuid.uuid4()), "type": state_type,
                                       "name": state_name, "timestamp": now_iso(),
                                       "message": message}

    def _state_view(self, run: dict) -> dict:
        s = run["prefect"]["state"]
        details = {"flow_run_id": run["id"], "task_run_id": None, "child_flow_run_id": None,
                   "scheduled_time": now_iso(run["created"]) if s["type"] == "SCHEDULED"
                   else None, "cache_key": None, "cache_expiration": None, "deferred": False,
                   "untrackable_result": False, "pause_timeout": None, "pause_reschedule": False,
                   "pause_key": None, "run_input_keyset": None, "refresh_cache": None,
                   "retriable": None, "transition_id": None, "task_parameters_id": None,
                   "traceparent": None, "deployment_concurrency_lease_id": None}
        return {"id": s["id"], "type": s["type"], "name": s["name"], "timestamp": s["timestamp"],
                "message": s["message"], "data": None, "state_details": details}

    def _run_view(self, run: dict) -> dict:
        p = run["prefect"]
        state = self._state_view(run)
        started = run.get("started")
        total = (run["ended"] - started) if (run["ended"] and started) else 0.0
        return {"id": run["id"], "created": now_iso(run["created"]), "updated": state["timestamp"],
                "name": p["name"], "flow_id": p["flow_id"], "state_id": state["id"],
                "deployment_id": p["deployment_id"], "deployment_version": None,
                "work_queue_id": None, "work_queue_name": p["work_queue_name"],
                "flow_version": None, "parameters": p["parameters"],
                "idempotency_key": p["idempotency_key"], "context": p["context"],
                "empirical_policy": {"max_retries": 0, "retry_delay_seconds": 0.0,
                                     "retries": 0, "retry_delay": 0, "pause_keys": [],
                                     "resuming": False, "retry_type": None},
                "tags": p["tags"], "labels": p["labels"], "parent_task_run_id": None,
                "state_type": state["type"], "state_name": state["name"],
                "run_count": 1 if started else 0,
                "expected_start_time": now_iso(run["created"]),
                "next_scheduled_start_time": now_iso(run["created"])
                if state["type"] == "SCHEDULED" else None,
                "start_time": now_iso(started) if started else None,
                "end_time": now_iso(run["ended"]) if run["ended"] else None,
                "total_run_time": total, "estimated_run_time": total,
                "estimated_start_time_delta": 0.0, "auto_scheduled": False,
                "infrastructure_document_id": None,
                "infrastructure_pid": f"fake:{run['id'][:8]}" if started else None,
                "created_by": None, "work_pool_id": None, "work_pool_name": "default-pool",
                "state": state, "job_variables": {}}

    def read_flow_run(self, req):
        run, missing = self._run_or_404(req)
        if missing:
            return missing
        self._progress(run, count_read=True)
        return Response(200, self._run_view(run))

    def set_state(self, req):
        run, missing = self._run_or_404(req)
        if missing:
            return missing
        body = req.json_body() or {}
        proposed = body.get("state") or {}
        wanted, force = proposed.get("type"), bool(body.get("force"))
        message = proposed.get("message")
        self._progress(run, count_read=False)
        p = run["prefect"]
        if run["final"] is not None and not force:
            return Response(200, {"state": None, "status": "ABORT", "details": {
                "type": "abort_details",
                "reason": f"This run is in terminal state {p['state']['type']}."}})
        if wanted == "CANCELLING" and run["phase"] == "queued" and not force:
            p["cancel_reason"] = message or "Flow run was cancelled before it started."
            finish(run, "cancelled")
            self._sync_state(run)
            return Response(201, {"state": self._state_view(run), "status": "REJECT",
                                  "details": {"type": "reject_details",
                                              "reason": "The flow run has no infrastructure "
                                                        "to cancel; it is cancelled now."}})
        if wanted == "CANCELLING":
            p["cancel_reason"] = message
            run["phase"] = "cancelling"
            run["cancel"] = {"requested": time.time()}
        elif wanted in TYPE_TO_OUTCOME:
            if run["final"] is not None:          # forced change of a terminal run
                run["final"] = None
            p["cancel_reason"] = message if wanted == "CANCELLED" else None
            if message and wanted != "CANCELLED":
                run["behaviour"]["message"] = message
            finish(run, TYPE_TO_OUTCOME[wanted])
        elif wanted in ("SCHEDULED", "PENDING", "RUNNING", "PAUSED"):
            run.update(final=None, ended=None,
                       phase="running" if wanted == "RUNNING" else "queued")
        self._sync_state(run)
        self.store.dirty = True
        return Response(201, {"state": self._state_view(run), "status": "ACCEPT",
                              "details": {"type": "accept_details"}})

    # ---- /_fake/log ---------------------------------------------------------------------
    def run_view(self, run):
        state = run["prefect"]["state"] or {}
        return {"id": run["id"], "target": run["target"], "state": state.get("type"),
                "state_name": state.get("name"), "reads": run["reads"],
                "name": run["prefect"]["name"],
                "idempotency_key": run["prefect"]["idempotency_key"],
                "parameters": run["prefect"]["parameters"],
                "cancel_requested": run["cancel"] is not None}
