"""Fake Azure Data Factory (ARM api-version 2018-06-01) plus the Entra ID (AAD) v2 token
endpoint, both on one server.

Credentials (fixed; every secret contains "S3cr3t"):
  POST /tenant-1/oauth2/v2.0/token, form-encoded: grant_type=client_credentials,
  client_id=adf-client, client_secret=adf-S3cr3t-95 (or HTTP Basic with those),
  scope=<anything ending in /.default, e.g. https://management.azure.com/.default>
  -> {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
      "access_token": "adf-aad-S3cr3t-<hex>"}; then Authorization: Bearer <token>.
  The factory is /subscriptions/sub-1/resourceGroups/rg-1/providers/
  Microsoft.DataFactory/factories/df-1 (other names: 404 CloudError).

Targets are pipeline names. Predefined: copy_sales (success), fails (one failed
activity, "Copy activity failed: blob not found"), cancels (ends Cancelled by itself).

Semantics: createRun returns a new runId (uuid) every time (ADF has no idempotency);
cancel makes the next GET answer Canceling and the one after Cancelled;
queryPipelineRuns filters PipelineName/Status/RunGroupId (Equals, NotEquals, In,
NotIn) within lastUpdatedAfter..lastUpdatedBefore, pages of 100 with continuationToken;
queryActivityruns returns the run's activity when its lastUpdated is in the window.
Every request needs api-version=2018-06-01 (400 MissingApiVersionParameter otherwise).
"""

from __future__ import annotations

import datetime
import json
import time
import uuid

from server import Engine, Request, Response, advance, finish, now_iso

TENANT, CLIENT_ID, CLIENT_SECRET = "tenant-1", "adf-client", "adf-S3cr3t-95"
SUBSCRIPTION, RESOURCE_GROUP, FACTORY = "sub-1", "rg-1", "df-1"
API_VERSION = "2018-06-01"
TOKEN_TTL = 3599
SPEC = "adf_2018-06-01.json"
PAGE = 100
ARM_CODES = {400: "BadRequest", 401: "AuthenticationFailed", 403: "AuthorizationFailed",
             404: "NotFound", 405: "MethodNotAllowed", 409: "Conflict",
             429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
             503: "ServiceUnavailable", 504: "GatewayTimeout"}
STATUS = {"success": "Succeeded", "failed": "Failed", "cancelled": "Cancelled"}


def _ts(ts: float) -> str:
    return now_iso(ts, digits=7)


def parse_time(text: str) -> float | None:
    """RFC 3339 text (any number of fractional digits) -> epoch seconds."""
    try:
        text = text.strip().replace("z", "Z").replace("Z", "+00:00")
        if "." in text:
            head, rest = text.split(".", 1)
            digits = "".join(c for c in rest if c.isdigit())
            text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
        parsed = datetime.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return parsed.timestamp()
    except (ValueError, AttributeError):
        return None


class DataFactory(Engine):
    name = "adf"
    spec_files = (SPEC,)
    outcomes = ("success", "failed", "cancelled", "hang")
    defaults = {**Engine.defaults, "activity": None}

    def predefined_targets(self):
        return {
            "copy_sales": {"outcome": "success", "activity": "CopySales"},
            "fails": {"outcome": "failed", "activity": "CopyBlob",
                      "message": "Copy activity failed: blob not found"},
            "cancels": {"outcome": "cancelled", "activity": "LongCopy"},
        }

    def normalise_target(self, name, target):
        target["activity"] = target.get("activity") or f"{name}_activity"
        return target

    def operation_handlers(self):
        return {f"{SPEC}:{op}": h for op, h in {
            "x-jobhost-AadToken": self.token, "Factories_Get": self.get_factory,
            "Pipelines_Get": self.get_pipeline, "Pipelines_CreateRun": self.create_run,
            "PipelineRuns_Get": self.get_run, "PipelineRuns_Cancel": self.cancel,
            "ActivityRuns_QueryByPipelineRun": self.query_activities,
            "PipelineRuns_QueryByFactory": self.query_runs}.items()}

    # ---- errors and auth ----------------------------------------------------------------
    @staticmethod
    def _aad(req: Request) -> bool:
        return "/oauth2/" in req.path

    def _aad_error(self, status: int, error: str, code: int, text: str) -> Response:
        return Response(status, {
            "error": error, "error_description": f"AADSTS{code}: {text}",
            "error_codes": [code], "timestamp": now_iso(digits=0).replace("T", " ")[:-1] + "Z",
            "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())})

    def error(self, req, status, message, code=None):
        if self._aad(req):
            return self._aad_error(status, code or "invalid_request", 900144, message)
        response = Response(status, {"error": {"code": code or ARM_CODES.get(status, "Error"),
                                               "message": message}})
        response.headers.update(self._arm_headers())
        return response

    def invalid(self, req, problems):
        if self._aad(req):
            return self._aad_error(400, "invalid_request", 900144, "; ".join(problems))
        if any("'api-version': required" in p for p in problems):
            return self.error(req, 400, "The api-version query parameter (?api-version=) is "
                                        "required for all requests.", "MissingApiVersionParameter")
        if any("'api-version'" in p for p in problems):
            return self.error(req, 400, f"The api-version '{req.query.get('api-version')}' is "
                                        f"invalid. The supported versions are '{API_VERSION}'.",
                              "InvalidApiVersionParameter")
        return self.error(req, 400, "; ".join(problems), "InvalidRequestContent")

    @staticmethod
    def _arm_headers(write: bool = False) -> dict[str, str]:
        kind = "writes" if write else "reads"
        return {"x-ms-request-id": str(uuid.uuid4()),
                "x-ms-correlation-request-id": str(uuid.uuid4()),
                f"x-ms-ratelimit-remaining-subscription-{kind}": "1199" if write else "11999"}

    def authenticate(self, req):
        if self.options.no_auth or self._aad(req):
            return None
        token = req.bearer()
        status = self.token_status(token, "aad")
        if status == "valid":
            return None
        if token is None:
            code, text = "AuthenticationFailed", \
                "Authentication failed. The 'Authorization' header is missing."
        elif status == "expired":
            code, text = "ExpiredAuthenticationToken", \
                f"The access token expiry UTC time '{time.strftime('%m/%d/%Y %H:%M:%S')}' is " \
                f"earlier than current UTC time '{time.strftime('%m/%d/%Y %H:%M:%S')}'."
        else:
            code, text = "InvalidAuthenticationToken", "The access token is invalid."
        response = self.error(req, 401, text, code)
        response.headers["WWW-Authenticate"] = (
            f'Bearer authorization_uri="https://login.microsoftonline.com/{TENANT}", '
            f'error="invalid_token", error_description="{text}"')
        return response

    def token(self, req):
        form = req.form()
        if req.path_params["tenant"] != TENANT:
            self.store.data["log"]["token_requests"] += 1
            return self._aad_error(400, "invalid_request", 90002,
                                   f"Tenant '{req.path_params['tenant']}' not found.")
        if form.get("grant_type") != "client_credentials":
            self.store.data["log"]["token_requests"] += 1
            return self._aad_error(400, "unsupported_grant_type", 70003,
                                   "The app requested an unsupported grant type.")
        if not (form.get("scope") or "").endswith("/.default"):
            self.store.data["log"]["token_requests"] += 1
            return self._aad_error(400, "invalid_scope", 1002012,
                                   "The provided value for scope is not valid. Client "
                                   "credential flows must have a scope value with /.default.")
        client = req.basic() or (form.get("client_id"), form.get("client_secret"))
        if tuple(client) != (CLIENT_ID, CLIENT_SECRET):
            self.store.data["log"]["token_requests"] += 1
            return self._aad_error(401, "invalid_client", 7000215,
                                   "Invalid client secret provided. Ensure the secret being "
                                   "sent in the request is the client secret value.")
        token = self.issue_token("aad", "adf-aad", TOKEN_TTL, scope=form["scope"])
        return Response(200, {"token_type": "Bearer", "expires_in": TOKEN_TTL,
                              "ext_expires_in": TOKEN_TTL, "access_token": token})

    # ---- factory and pipelines ----------------------------------------------------------
    def _factory_error(self, req) -> Response | None:
        p = req.path_params
        version = req.query.get("api-version", [None])[-1]
        if version is None:
            return self.error(req, 400, "The api-version query parameter (?api-version=) is "
                                        "required for all requests.", "MissingApiVersionParameter")
        if version != API_VERSION:
            return self.error(req, 400, f"The api-version '{version}' is invalid. The supported "
                                        f"versions are '{API_VERSION}'.",
                              "InvalidApiVersionParameter")
        factory = p["factoryName"]
        if p["subscriptionId"].lower() != SUBSCRIPTION:
            return self.error(req, 404, f"The subscription '{p['subscriptionId']}' could not be "
                                        f"found (looking up factory '{factory}').",
                              "SubscriptionNotFound")
        if p["resourceGroupName"].lower() != RESOURCE_GROUP:
            return self.error(req, 404, f"Resource group '{p['resourceGroupName']}' could not be "
                                        f"found (looking up factory '{factory}').",
                              "ResourceGroupNotFound")
        if factory.lower() != FACTORY:
            return self.error(req, 404, f"The Resource 'Microsoft.DataFactory/factories/{factory}'"
                                        f" under resource group '{RESOURCE_GROUP}' was not found. "
                                        "For more details please go to "
                                        "https://aka.ms/ARMResourceNotFoundFix", "ResourceNotFound")
        return None

    @staticmethod
    def _factory_id() -> str:
        return (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/"
                f"Microsoft.DataFactory/factories/{FACTORY}")

    def _ok(self, body, write: bool = False) -> Response:
        return Response(200, body, self._arm_headers(write))

    def get_factory(self, req):
        return self._factory_error(req) or self._ok({
            "id": self._factory_id(), "name": FACTORY, "type": "Microsoft.DataFactory/factories",
            "location": "eastus", "tags": {}, "eTag": "\"00000000-0000-0000-0000-000000000001\"",
            "properties": {"provisioningState": "Succeeded", "createTime": "2024-01-01T00:00:00Z",
                           "version": API_VERSION, "publicNetworkAccess": "Enabled"}})

    def _pipeline(self, req) -> tuple[str | None, Response | None]:
        error = self._factory_error(req)
        if error:
            return None, error
        wanted = req.path_params["pipelineName"]
        name = next((n for n in self.store.data["targets"] if n.lower() == wanted.lower()), None)
        if name is None:
            return None, self.error(req, 404, f"Entity {wanted} not found", "NotFound")
        return name, None

    def get_pipeline(self, req):
        name, error = self._pipeline(req)
        if error:
            return error
        activity = self.target(name)["activity"]
        return self._ok({
            "id": f"{self._factory_id()}/pipelines/{name}", "name": name,
            "type": "Microsoft.DataFactory/factories/pipelines",
            "etag": "\"" + uuid.uuid5(uuid.NAMESPACE_URL, name).hex + "\"",
            "properties": {
                "activities": [{"name": activity, "type": "Copy", "dependsOn": [],
                                "policy": {"timeout": "0.12:00:00", "retry": 0,
                                           "retryIntervalInSeconds": 30, "secureOutput": False,
                                           "secureInput": False},
                                "userProperties": [],
                                "typeProperties": {"source": {"type": "BlobSource"},
                                                   "sink": {"type": "SqlSink"}}}],
                "parameters": {"run_key": {"type": "String", "defaultValue": ""}},
                "annotations": []}})

    # ---- runs ---------------------------------------------------------------------------
    def create_run(self, req):
        name, error = self._pipeline(req)
        if error:
            self.count_start(req.path_params["pipelineName"], False)
            return error
        body = req.json_body()
        params = body if isinstance(body, dict) else {}
        run_id = str(uuid.uuid4())
        reference = req.query.get("referencePipelineRunId", [None])[-1]
        group = self.store.data["runs"].get(reference, {}).get("adf", {}).get("group", run_id) \
            if reference else run_id
        self.new_run(run_id, name, adf={
            "group": group, "invoker": uuid.uuid4().hex,
            "activity_run": str(uuid.uuid4()), "cancel_reads": 0, "updated": time.time(),
            "parameters": {k: v if isinstance(v, str) else json.dumps(v)
                           for k, v in params.items()}})
        self.count_start(name, True)
        self.store.dirty = True
        return self._ok({"runId": run_id}, write=True)

    def _run(self, req) -> tuple[dict | None, Response | None]:
        error = self._factory_error(req)
        if error:
            return None, error
        run = self.store.data["runs"].get(req.path_params["runId"])
        if run is None:
            return None, self.error(req, 404, f"Pipeline run '{req.path_params['runId']}' was "
                                              "not found.", "PipelineRunNotFound")
        return run, None

    def _progress(self, run: dict, count_read: bool) -> None:
        before = (run["phase"], run["final"])
        if run["final"] is None and run["cancel"] is not None:
            if count_read:
                run["reads"] += 1
                run["adf"]["cancel_reads"] += 1
                if run["adf"]["cancel_reads"] >= 2:
                    finish(run, "cancelled")
                    run["adf"]["cancelled_by_user"] = True
                else:
                    run["phase"] = "canceling"
        else:
            advance(run, count_read)
        if (run["phase"], run["final"]) != before:
            run["adf"]["updated"] = time.time()
        self.store.dirty = True

    def _status(self, run: dict) -> str:
        if run["final"] is not None:
            return STATUS[run["final"]]
        return {"queued": "Queued", "running": "InProgress", "canceling": "Canceling"}[run["phase"]]

    def _message(self, run: dict) -> str:
        if run["final"] == "failed":
            target = self.target(run["target"]) or {}
            text = run["behaviour"].get("message") or "Activity failed"
            return f"Operation on target {target.get('activity', 'activity')} failed: {text}"
        if run["final"] == "cancelled":
            return "Pipeline run cancelled" if run["adf"].get("cancelled_by_user") else \
                "Pipeline run was cancelled"
        return ""

    def _run_view(self, run: dict) -> dict:
        a = run["adf"]
        view = {"runId": run["id"], "runGroupId": a["group"], "isLatest": True,
                "pipelineName": run["target"], "parameters": a["parameters"],
                "runDimensions": {},
                "invokedBy": {"id": a["invoker"], "name": "Manual", "invokedByType": "Manual"},
                "runStart": _ts(run["created"]), "lastUpdated": _ts(a["updated"]),
                "status": self._status(run), "message": self._message(run), "annotations": []}
        # Like the service (see the official QueryByFactory example): null while running.
        view["runEnd"] = _ts(run["ended"]) if run["final"] is not None else None
        view["durationInMs"] = int((run["ended"] - run["created"]) * 1000) \
            if run["final"] is not None else None
        return view

    def get_run(self, req):
        run, error = self._run(req)
        if error:
            return error
        self._progress(run, count_read=True)
        return self._ok(self._run_view(run))

    def cancel(self, req):
        run, error = self._run(req)
        if error:
            return error
        if run["final"] is None and run["cancel"] is None:
            run["cancel"] = {"recursive": req.query.get("isRecursive", ["false"])[-1] == "true"}
            self.store.dirty = True
        return Response(200, None, self._arm_headers(write=True))

    def _window(self, req) -> tuple[float, float] | Response:
        body = req.json_body() or {}
        after, before = (parse_time(str(body.get(k, ""))) for k in
                         ("lastUpdatedAfter", "lastUpdatedBefore"))
        if after is None or before is None:
            return self.error(req, 400, "lastUpdatedAfter and lastUpdatedBefore are required "
                                        "date-time values.", "InvalidRequestContent")
        return after, before

    def query_activities(self, req):
        run, error = self._run(req)
        if error:
            return error
        window = self._window(req)
        if isinstance(window, Response):
            return window
        self._progress(run, count_read=False)
        if run["phase"] == "queued":
            return self._ok({"value": []}, write=True)
        a, target = run["adf"], self.target(run["target"]) or {}
        activity = target.get("activity", "activity")
        started = run.get("started") or run["created"]
        status = {"success": "Succeeded", "failed": "Failed", "cancelled": "Cancelled",
                  None: "Cancelled" if run["phase"] == "canceling" else "InProgress"}[run["final"]]
        updated = run["ended"] or started
        error = {"errorCode": "", "message": "", "failureType": "", "target": activity}
        if run["final"] == "failed":
            error = {"errorCode": "2200", "message": run["behaviour"].get("message")
                     or "Activity failed", "failureType": "UserError", "target": activity,
                     "details": []}
        item = {"pipelineName": run["target"], "pipelineRunId": run["id"],
                "activityName": activity, "activityType": "Copy",
                "activityRunId": a["activity_run"], "linkedServiceName": "",
                "status": status, "activityRunStart": _ts(started),
                "input": {"source": {"type": "BlobSource"}, "sink": {"type": "SqlSink"}},
                "output": {}, "error": error, "retryAttempt": None, "userProperties": {}}
        if run["ended"]:
            item["activityRunEnd"] = _ts(run["ended"])
            item["durationInMs"] = int((run["ended"] - started) * 1000)
        after, before = window
        values = [item] if after <= updated <= before else []
        return self._ok({"value": values}, write=True)

    def query_runs(self, req):
        error = self._factory_error(req)
        if error:
            return error
        window = self._window(req)
        if isinstance(window, Response):
            return window
        after, before = window
        body = req.json_body() or {}
        fields = {"PipelineName": lambda r: r["target"], "Status": self._status,
                  "RunGroupId": lambda r: r["adf"]["group"]}
        filters = []
        for f in body.get("filters") or []:
            if f.get("operand") == "LatestOnly":
                continue
            if f.get("operand") not in fields:
                return self.error(req, 400, f"Filter operand '{f.get('operand')}' is not "
                                            "supported by this fake.", "InvalidRequestContent")
            filters.append(f)
        runs = []
        for run in self.store.data["runs"].values():
            self._progress(run, count_read=False)
            if not after <= run["adf"]["updated"] <= before:
                continue
            keep = True
            for f in filters:
                value = fields[f["operand"]](run)
                values = f.get("values") or []
                inside = value in values
                keep &= inside if f["operator"] in ("Equals", "In") else not inside
            if keep:
                runs.append(run)
        for order in reversed(body.get("orderBy") or []):
            key = {"RunStart": lambda r: r["created"], "RunEnd": lambda r: r["ended"] or 0,
                   "PipelineName": lambda r: r["target"], "Status": self._status}.get(
                       order.get("orderBy"), lambda r: r["created"])
            runs.sort(key=key, reverse=order.get("order") == "DESC")
        token = str(body.get("continuationToken") or "0")
        if not token.isdigit():
            return self.error(req, 400, "Invalid continuationToken.", "InvalidRequestContent")
        start = int(token)
        page = runs[start:start + PAGE]
        result = {"value": [self._run_view(r) for r in page]}
        if start + PAGE < len(runs):
            result["continuationToken"] = str(start + PAGE)
        return self._ok(result, write=True)

    # ---- /_fake/log ---------------------------------------------------------------------
    def run_view(self, run):
        return {"id": run["id"], "target": run["target"], "state": self._status(run),
                "reads": run["reads"], "parameters": run["adf"]["parameters"],
                "cancel_requested": run["cancel"] is not None}
