#!/usr/bin/python3
"""Self-test of the fake engines: drive each one as a correct client would.

For every engine: start fake_engine.py as a subprocess, authenticate, start a run,
re-start it idempotently, poll it to its terminal state, cancel one, read failure
details, survive a 429 fault and an expired token; then send one deliberately wrong
request and check that it IS recorded as a violation. Exits non-zero on any
unexpected answer and on any recorded violation other than the deliberate ones.
Also covers the other fault kinds, keep-alive, --no-auth and restart from
--state-file after SIGKILL.

  /usr/bin/python3 tests/connectors/fake_engines/selftest.py [-v] [ENGINE...]
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_engine.py")
ADF_FACTORY = ("/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DataFactory/"
               "factories/df-1")
API = "api-version=2018-06-01"
VERBOSE = False
FAILURES: list[str] = []
TEMP_DIRS: list[str] = []


def check(condition: bool, message: str, detail=None) -> bool:
    if not condition:
        FAILURES.append(message + (f" -- got {detail!r}"[:600] if detail is not None else ""))
        print(f"  FAIL {FAILURES[-1]}", flush=True)
    elif VERBOSE:
        print(f"  ok   {message}", flush=True)
    return condition


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Result:
    def __init__(self, status: int, headers, payload: bytes):
        self.status, self.headers, self.payload = status, headers, payload
        try:
            self.json = json.loads(payload) if payload else None
        except ValueError:
            self.json = None

    def __repr__(self) -> str:
        return f"HTTP {self.status} {self.payload[:300]!r}"


class Fake:
    """One fake engine subprocess."""

    def __init__(self, engine: str, *args: str, state_file: str | None = None):
        self.engine, self.args, self.state_file = engine, list(args), state_file
        self.dir = tempfile.mkdtemp(prefix=f"fake-{engine}-")
        TEMP_DIRS.append(self.dir)
        self.port_file = os.path.join(self.dir, "port")
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self, port: int = 0) -> "Fake":
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        cmd = [sys.executable, FAKE, self.engine, "--port-file", self.port_file,
               "--port", str(port)] + self.args
        if self.state_file:
            cmd += ["--state-file", self.state_file]
        self.stderr = open(os.path.join(self.dir, "stderr"), "ab")
        self.proc = subprocess.Popen(cmd, stderr=self.stderr, stdout=subprocess.DEVNULL)
        deadline = time.time() + 20
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{self.engine} fake did not start: "
                                   + open(os.path.join(self.dir, "stderr")).read())
            time.sleep(0.02)
        self.port = int(open(self.port_file).read())
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def __enter__(self) -> "Fake":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def call(self, method: str, path: str, body=None, *, headers=None, form=None,
             timeout: float = 10) -> Result:
        data, hdrs = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Result(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Result(error.code, error.headers, error.read())

    def log(self) -> dict:
        return self.call("GET", "/_fake/log").json

    def control(self, body: dict) -> Result:
        result = self.call("POST", "/_fake/control", body)
        check(result.status == 200, f"{self.engine}: control {list(body)} accepted", result)
        return result


def finish_engine(fake: Fake, expected_violations: list[str]) -> None:
    """No violations except the expected ones (each seen), and no secret in the log."""
    log = fake.log()
    seen = list(log["violations"])
    for needle in expected_violations:
        hit = next((v for v in seen if needle in v), None)
        if check(hit is not None, f"{fake.engine}: deliberate violation recorded ({needle})",
                 log["violations"]):
            seen.remove(hit)
    check(not seen, f"{fake.engine}: no unexpected violations", seen)
    check("S3cr3t" not in json.dumps(log), f"{fake.engine}: /_fake/log holds no secret")
    check(all(r["auth"] in (None, "Basic", "Bearer") for r in log["requests"]),
          f"{fake.engine}: log records the auth scheme only")


def poll(read, terminal, limit: int = 10) -> list:
    """States returned by read() until terminal(state)."""
    states = []
    for _ in range(limit):
        states.append(read())
        if terminal(states[-1]):
            break
    return states


def check_fault_429(fake: Fake, method: str, path: str, call) -> None:
    fake.control({"faults": [{"match": f"{method} {path}", "count": 1, "status": 429,
                              "retry_after": "2"}]})
    first = call()
    check(first.status == 429 and first.headers.get("Retry-After") == "2",
          f"{fake.engine}: 429 fault with Retry-After", first)
    check(call().status == 200, f"{fake.engine}: retry after the 429 succeeds")


# =======================================================================================
# Airflow
# =======================================================================================
AF_USER = ("svc_jobhost", "af-pass-S3cr3t-91")


def test_airflow() -> None:
    with Fake("airflow") as fake:
        v1 = basic(*AF_USER)
        check(fake.call("GET", "/api/v1/health").status == 200, "airflow: v1 health, no auth")
        check(fake.call("GET", "/api/v2/monitor/health").status == 200,
              "airflow: v2 health, no auth")
        r = fake.call("GET", "/api/v1/dags/etl_daily")
        check(r.status == 401 and r.json.get("title") == "Unauthorized",
              "airflow: v1 without credentials -> 401 RFC 7807", r)
        check(fake.call("GET", "/api/v1/dags/etl_daily", headers=basic("svc_jobhost", "x"))
              .status == 401, "airflow: v1 wrong password -> 401")
        check(fake.call("GET", "/api/v1/dags/etl_daily", headers=v1).status == 200,
              "airflow: v1 basic auth")
        check(fake.call("GET", "/api/v1/dags/etl_daily",
                        headers=bearer("af-token-S3cr3t-92")).status == 200,
              "airflow: v1 static bearer token")
        check(fake.call("GET", "/api/v1/dags/nope", headers=v1).status == 404,
              "airflow: unknown DAG -> 404")

        # v1 lifecycle with an idempotent re-start (409 on the same dag_run_id).
        body = {"dag_run_id": "st-1", "logical_date": "2024-05-01T12:00:00+00:00",
                "conf": {"run_key": "abc"}, "note": "selftest"}
        r = fake.call("POST", "/api/v1/dags/etl_daily/dagRuns", body, headers=v1)
        check(r.status == 200 and r.json["state"] == "queued", "airflow: v1 trigger", r)
        r = fake.call("POST", "/api/v1/dags/etl_daily/dagRuns", body, headers=v1)
        check(r.status == 409, "airflow: v1 duplicate dag_run_id -> 409", r)
        states = poll(lambda: fake.call("GET", "/api/v1/dags/etl_daily/dagRuns/st-1",
                                        headers=v1).json["state"],
                      lambda s: s in ("success", "failed"))
        check(states == ["queued", "running", "success"], "airflow: v1 states", states)
        log = fake.log()
        check(log["starts"].get("etl_daily") == 1 and log["start_requests"]["etl_daily"] == 2,
              "airflow: starts counts new runs, start_requests all", log["starts"])

        # v2 token (JSON and form), wrong password.
        r = fake.call("POST", "/auth/token", {"username": AF_USER[0], "password": AF_USER[1]})
        check(r.status == 201 and r.json["access_token"].startswith("af-jwt-"),
              "airflow: v2 token (JSON)", r)
        token = r.json["access_token"]
        r = fake.call("POST", "/auth/token", form={"username": AF_USER[0],
                                                   "password": AF_USER[1]})
        check(r.status == 201, "airflow: v2 token (form)", r)
        check(fake.call("POST", "/auth/token", {"username": AF_USER[0], "password": "x"})
              .status == 401, "airflow: v2 token, wrong password -> 401")
        v2 = bearer(token)
        check(fake.call("GET", "/api/v2/dags/etl_daily").status == 401,
              "airflow: v2 without token -> 401")
        check(fake.call("GET", "/api/v2/dags/etl_daily", headers=v1).status == 401,
              "airflow: v2 rejects basic auth")

        # v2 failed run with task instances.
        r = fake.call("POST", "/api/v2/dags/fails/dagRuns",
                      {"dag_run_id": "st-2", "logical_date": None, "conf": {}}, headers=v2)
        check(r.status == 200 and r.json["dag_versions"] and r.json["run_after"],
              "airflow: v2 trigger", r)
        states = poll(lambda: fake.call("GET", "/api/v2/dags/fails/dagRuns/st-2",
                                        headers=v2).json["state"],
                      lambda s: s in ("success", "failed"))
        check(states == ["queued", "running", "failed"], "airflow: v2 failed run", states)
        r = fake.call("GET", "/api/v2/dags/fails/dagRuns/st-2/taskInstances", headers=v2)
        check(r.status == 200 and r.json["task_instances"][0]["state"] == "failed",
              "airflow: v2 task instance failed", r)

        # Cancel = PATCH state failed (v2 and v1).
        fake.call("POST", "/api/v2/dags/cancels/dagRuns", {"dag_run_id": "st-3",
                                                            "logical_date": None}, headers=v2)
        for _ in range(3):
            fake.call("GET", "/api/v2/dags/cancels/dagRuns/st-3", headers=v2)
        r = fake.call("PATCH", "/api/v2/dags/cancels/dagRuns/st-3",
                      {"state": "failed", "note": "deadline"}, headers=v2)
        check(r.status == 200 and r.json["state"] == "failed", "airflow: v2 PATCH failed", r)
        r = fake.call("GET", "/api/v1/dags/cancels/dagRuns/st-3", headers=v1)
        check(r.json["state"] == "failed", "airflow: cancelled run stays failed (v1 view)", r)
        r = fake.call("GET", "/api/v1/dags/cancels/dagRuns/st-3/taskInstances", headers=v1)
        check(r.json["task_instances"][0]["state"] == "failed",
              "airflow: running task failed by PATCH", r)

        # Paused DAG: stays queued until unpaused.
        fake.control({"targets": {"paused_dag": {"paused": True}}})
        fake.call("POST", "/api/v1/dags/paused_dag/dagRuns", {"dag_run_id": "p1"}, headers=v1)
        states = [fake.call("GET", "/api/v1/dags/paused_dag/dagRuns/p1", headers=v1)
                  .json["state"] for _ in range(4)]
        check(states == ["queued"] * 4, "airflow: paused DAG run stays queued", states)
        r = fake.call("PATCH", "/api/v1/dags/paused_dag", {"is_paused": False}, headers=v1)
        check(r.status == 200 and r.json["is_paused"] is False, "airflow: v1 unpause", r)
        r = fake.call("PATCH", "/api/v2/dags/paused_dag", {"is_paused": False}, headers=v2)
        check(r.status == 200, "airflow: v2 unpause", r)

        check_fault_429(fake, "GET", "/api/v2/dags/etl_daily",
                        lambda: fake.call("GET", "/api/v2/dags/etl_daily", headers=v2))

        # Expired token -> 401, a fresh one works.
        fake.control({"expire_tokens": True})
        r = fake.call("GET", "/api/v2/dags/etl_daily", headers=v2)
        check(r.status == 401, "airflow: expired token -> 401", r)
        token = fake.call("POST", "/auth/token", {"username": AF_USER[0],
                                                  "password": AF_USER[1]}).json["access_token"]
        check(fake.call("GET", "/api/v2/dags/etl_daily", headers=bearer(token)).status == 200,
              "airflow: fresh token after expiry")
        check(fake.call("GET", "/api/v1/dags/etl_daily", headers=v1).status == 200,
              "airflow: basic auth unaffected by expire_tokens")

        # Keep-alive: three requests on one connection.
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
        for i in range(3):
            conn.request("GET", "/api/v1/health")
            response = conn.getresponse()
            response.read()
            check(response.status == 200 and response.getheader("Connection") != "close",
                  f"airflow: keep-alive request {i + 1}")
        conn.close()

        # Deliberately wrong: unknown field in the v2 trigger body; readOnly field in v1;
        # Content-Type with charset at /auth/token (the header is an exact enum).
        r = fake.call("POST", "/api/v2/dags/etl_daily/dagRuns",
                      {"dag_run_id": "bad", "logical_date": None, "bogus": 1},
                      headers=bearer(token))
        check(r.status == 422, "airflow: unknown trigger field -> 422", r)
        r = fake.call("POST", "/api/v1/dags/etl_daily/dagRuns",
                      {"dag_run_id": "bad2", "state": "running"}, headers=v1)
        check(r.status == 400, "airflow: readOnly field in v1 trigger -> 400", r)
        r = fake.call("POST", "/auth/token", {"username": AF_USER[0], "password": AF_USER[1]},
                      headers={"Content-Type": "application/json; charset=utf-8"})
        check(r.status == 422, "airflow: /auth/token Content-Type with charset -> 422", r)
        finish_engine(fake, ["Additional properties are not allowed ('bogus'",
                             "body.state: is readOnly",
                             "header parameter 'Content-Type'"])


# =======================================================================================
# Databricks
# =======================================================================================
PAT = bearer("dapi-S3cr3t-93")


def dbx_state(fake: Fake, run_id: int, headers=PAT) -> tuple:
    r = fake.call("GET", f"/api/2.1/jobs/runs/get?run_id={run_id}", headers=headers)
    s = r.json["state"]
    return (s["life_cycle_state"], s.get("result_state"),
            r.json["status"].get("termination_details", {}).get("code"))


def dbx_terminal(state: tuple) -> bool:
    return state[0] in ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


def test_databricks() -> None:
    with Fake("databricks") as fake:
        r = fake.call("GET", "/api/2.1/jobs/list", headers=bearer("dapi-wrong"))
        check(r.status == 401 and r.json["error_code"] == "UNAUTHENTICATED",
              "databricks: wrong PAT -> 401", r)
        r = fake.call("GET", "/api/2.1/jobs/list", headers=PAT)
        check(r.status == 200 and len(r.json["jobs"]) == 5, "databricks: jobs/list", r)

        # OAuth M2M: discovery, Basic and form client authentication, wrong secret.
        r = fake.call("GET", "/oidc/.well-known/oauth-authorization-server")
        check(r.status == 200 and r.json["token_endpoint"] == fake.url + "/oidc/v1/token",
              "databricks: discovery points at this server", r)
        form = {"grant_type": "client_credentials", "scope": "all-apis"}
        r = fake.call("POST", "/oidc/v1/token", form=form,
                      headers=basic("dbx-client", "dbx-S3cr3t-94"))
        check(r.status == 200 and r.json["token_type"] == "Bearer" and
              r.json["expires_in"] == 3600 and r.json["scope"] == "all-apis",
              "databricks: OAuth token (Basic)", r)
        oauth = bearer(r.json["access_token"])
        r = fake.call("POST", "/oidc/v1/token", form={**form, "client_id": "dbx-client",
                                                      "client_secret": "dbx-S3cr3t-94"})
        check(r.status == 200, "databricks: OAuth token (form fields)", r)
        r = fake.call("POST", "/oidc/v1/token", form=form, headers=basic("dbx-client", "no"))
        check(r.status == 401 and r.json["error"] == "invalid_client",
              "databricks: wrong client secret -> 401", r)

        r = fake.call("GET", "/api/2.1/jobs/get?job_id=101", headers=oauth)
        check(r.status == 200 and r.json["job_id"] == 101, "databricks: jobs/get (OAuth)", r)
        r = fake.call("GET", "/api/2.1/jobs/get?job_id=999", headers=PAT)
        check(r.status == 400 and r.json["message"] == "Job 999 does not exist.",
              "databricks: unknown job -> 400 INVALID_PARAMETER_VALUE", r)

        # run-now, idempotent re-start, poll.
        body = {"job_id": 101, "idempotency_token": "st-tok-1",
                "job_parameters": {"run_key": "abc"}}
        first = fake.call("POST", "/api/2.1/jobs/run-now", body, headers=PAT)
        again = fake.call("POST", "/api/2.1/jobs/run-now", body, headers=PAT)
        check(first.status == 200 and again.json["run_id"] == first.json["run_id"],
              "databricks: same idempotency_token -> same run_id", (first, again))
        run_id = first.json["run_id"]
        states = poll(lambda: dbx_state(fake, run_id), dbx_terminal)
        check(states == [("PENDING", None, None), ("RUNNING", None, None),
                         ("TERMINATED", "SUCCESS", "SUCCESS")], "databricks: states", states)
        r = fake.call("GET", f"/api/2.1/jobs/runs/get?run_id={run_id}", headers=PAT)
        check(r.json["run_page_url"].startswith(fake.url) and
              r.json["job_parameters"][0]["value"] == "abc", "databricks: run details", r)
        log = fake.log()
        check(log["starts"].get("101") == 1 and log["start_requests"]["101"] == 2,
              "databricks: starts vs start_requests", log["starts"])

        # Failed run and its output (task run id and parent id).
        run_id = fake.call("POST", "/api/2.1/jobs/run-now", {"job_id": 102},
                           headers=PAT).json["run_id"]
        states = poll(lambda: dbx_state(fake, run_id), dbx_terminal)
        check(states[-1] == ("TERMINATED", "FAILED", "RUN_EXECUTION_ERROR"),
              "databricks: 102 fails", states)
        run = fake.call("GET", f"/api/2.1/jobs/runs/get?run_id={run_id}", headers=PAT).json
        task_run = run["tasks"][0]["run_id"]
        r = fake.call("GET", f"/api/2.1/jobs/runs/get-output?run_id={task_run}", headers=PAT)
        check(r.status == 200 and r.json["error"] == "Py4JJavaError: boom" and
              "Traceback" in r.json["error_trace"], "databricks: get-output error", r)
        r = fake.call("GET", f"/api/2.1/jobs/runs/get-output?run_id={run_id}", headers=PAT)
        check(r.status == 200 and r.json["error"] == "Py4JJavaError: boom",
              "databricks: get-output on a single-task parent", r)

        for job, expected in ((103, ("TERMINATED", "CANCELED", "CANCELED")),
                              (104, ("SKIPPED", None, "SKIPPED")),
                              (105, ("INTERNAL_ERROR", "FAILED", "INTERNAL_ERROR"))):
            run_id = fake.call("POST", "/api/2.1/jobs/run-now", {"job_id": job},
                               headers=PAT).json["run_id"]
            states = poll(lambda: dbx_state(fake, run_id), dbx_terminal)
            check(states[-1] == expected, f"databricks: job {job} ends {expected}", states)

        # Cancel: next read is TERMINATED/CANCELED (USER_CANCELED).
        run_id = fake.call("POST", "/api/2.1/jobs/run-now", {"job_id": 101},
                           headers=PAT).json["run_id"]
        dbx_state(fake, run_id)
        r = fake.call("POST", "/api/2.1/jobs/runs/cancel", {"run_id": run_id}, headers=PAT)
        check(r.status == 200 and r.json == {}, "databricks: runs/cancel", r)
        check(dbx_state(fake, run_id) == ("TERMINATED", "CANCELED", "USER_CANCELED"),
              "databricks: cancelled on the next read")

        # runs/submit keyed by run_name.
        submit = {"run_name": "adhoc-etl", "idempotency_token": "st-sub-1", "tasks": [
            {"task_key": "extract", "existing_cluster_id": "0101-000000-fake",
             "spark_python_task": {"python_file": "/Workspace/run_cmd.py",
                                   "parameters": ["python extract.py"]}}]}
        r = fake.call("POST", "/api/2.1/jobs/runs/submit", submit, headers=PAT)
        check(r.status == 200 and "run_id" in r.json, "databricks: runs/submit", r)
        states = poll(lambda: dbx_state(fake, r.json["run_id"]), dbx_terminal)
        check(states[-1] == ("TERMINATED", "SUCCESS", "SUCCESS"), "databricks: submit run",
              states)
        check(fake.log()["starts"].get("adhoc-etl") == 1, "databricks: submit target by name")

        check_fault_429(fake, "GET", "/api/2.1/jobs/list",
                        lambda: fake.call("GET", "/api/2.1/jobs/list", headers=PAT))

        # Other fault kinds.
        fake.control({"faults": [{"match": "GET /api/2.1/jobs/get", "count": 1,
                                  "malformed": True}]})
        r = fake.call("GET", "/api/2.1/jobs/get?job_id=101", headers=PAT)
        check(r.status == 200 and r.json is None and r.payload, "databricks: malformed fault", r)
        fake.control({"faults": [{"match": "*", "count": 1, "drop": True}]})
        try:
            fake.call("GET", "/api/2.1/jobs/list", headers=PAT)
            check(False, "databricks: drop fault closes the connection")
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError):
            check(True, "databricks: drop fault closes the connection")
        fake.control({"faults": [{"match": "GET /api/2.1/jobs/list", "count": 1,
                                  "delay_ms": 300}]})
        t0 = time.time()
        r = fake.call("GET", "/api/2.1/jobs/list", headers=PAT)
        check(r.status == 200 and time.time() - t0 >= 0.3, "databricks: delay fault", r)
        # A 503 after the run was created: the retry with the same token finds it.
        fake.control({"faults": [{"match": "POST /api/2.1/jobs/run-now", "count": 1,
                                  "status": 503, "after": True}]})
        body = {"job_id": 101, "idempotency_token": "st-tok-lost"}
        lost = fake.call("POST", "/api/2.1/jobs/run-now", body, headers=PAT)
        check(lost.status == 503 and lost.json["error_code"] == "TEMPORARILY_UNAVAILABLE",
              "databricks: 503 after processing", lost)
        retry = fake.call("POST", "/api/2.1/jobs/run-now", body, headers=PAT)
        runs = [x for x in fake.log()["runs"] if x["idempotency_token"] == "st-tok-lost"]
        check(retry.status == 200 and len(runs) == 1 and str(retry.json["run_id"]) ==
              runs[0]["id"], "databricks: retry after lost response finds the run", runs)

        fake.control({"expire_tokens": True})
        r = fake.call("GET", "/api/2.1/jobs/list", headers=oauth)
        check(r.status == 401, "databricks: expired OAuth token -> 401", r)
        r = fake.call("POST", "/oidc/v1/token", form=form,
                      headers=basic("dbx-client", "dbx-S3cr3t-94"))
        check(fake.call("GET", "/api/2.1/jobs/list", headers=bearer(r.json["access_token"]))
              .status == 200, "databricks: fresh OAuth token after expiry")
        check(fake.call("GET", "/api/2.1/jobs/list", headers=PAT).status == 200,
              "databricks: PAT unaffected by expire_tokens")

        # Deliberately wrong: job_id as a string, run_id in a GET body instead of the query.
        r = fake.call("POST", "/api/2.1/jobs/run-now", {"job_id": "101"}, headers=PAT)
        check(r.status == 400, "databricks: job_id as string -> 400", r)
        r = fake.call("POST", "/api/2.1/jobs/run-now",
                      {"job_id": 101, "idempotency_token": "x" * 65}, headers=PAT)
        check(r.status == 400, "databricks: idempotency_token > 64 chars -> 400", r)
        finish_engine(fake, ["body.job_id: '101' is not of type 'integer'",
                             "body.idempotency_token: 'xxxx"])


# =======================================================================================
# Azure Data Factory
# =======================================================================================
AAD_FORM = {"grant_type": "client_credentials", "client_id": "adf-client",
            "client_secret": "adf-S3cr3t-95", "scope": "https://management.azure.com/.default"}


def adf_token(fake: Fake) -> dict[str, str]:
    r = fake.call("POST", "/tenant-1/oauth2/v2.0/token", form=AAD_FORM)
    check(r.status == 200 and r.json["token_type"] == "Bearer" and
          r.json["expires_in"] == 3599 and r.json["ext_expires_in"] == 3599,
          "adf: AAD token", r)
    return bearer(r.json["access_token"])


def adf_status(fake: Fake, run_id: str, auth) -> str:
    r = fake.call("GET", f"{ADF_FACTORY}/pipelineruns/{run_id}?{API}", headers=auth)
    return r.json["status"]


def adf_terminal(status: str) -> bool:
    return status in ("Succeeded", "Failed", "Cancelled")


def test_adf() -> None:
    with Fake("adf") as fake:
        r = fake.call("POST", "/tenant-1/oauth2/v2.0/token",
                      form={**AAD_FORM, "client_secret": "wrong"})
        check(r.status == 401 and r.json["error"] == "invalid_client",
              "adf: wrong client secret -> 401", r)
        r = fake.call("POST", "/tenant-9/oauth2/v2.0/token", form=AAD_FORM)
        check(r.status == 400 and "AADSTS90002" in r.json["error_description"],
              "adf: unknown tenant -> 400", r)
        r = fake.call("GET", f"{ADF_FACTORY}?{API}")
        check(r.status == 401 and r.json["error"]["code"] == "AuthenticationFailed",
              "adf: no token -> 401 CloudError", r)
        auth = adf_token(fake)
        r = fake.call("GET", f"{ADF_FACTORY}?{API}", headers=auth)
        check(r.status == 200 and r.json["name"] == "df-1", "adf: get factory", r)
        r = fake.call("GET", f"{ADF_FACTORY.replace('df-1', 'df-9')}?{API}", headers=auth)
        check(r.status == 404 and "df-9" in r.json["error"]["message"],
              "adf: unknown factory -> 404 naming it", r)
        r = fake.call("GET", f"{ADF_FACTORY}/pipelines/copy_sales?{API}", headers=auth)
        check(r.status == 200 and r.json["properties"]["activities"], "adf: get pipeline", r)
        r = fake.call("GET", f"{ADF_FACTORY}/pipelines/nope?{API}", headers=auth)
        check(r.status == 404, "adf: unknown pipeline -> 404", r)

        since = time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(time.time() - 60))
        r = fake.call("POST", f"{ADF_FACTORY}/pipelines/copy_sales/createRun?{API}",
                      {"run_key": "abc", "n": 3}, headers=auth)
        check(r.status == 200 and "runId" in r.json, "adf: createRun", r)
        run_id = r.json["runId"]
        r2 = fake.call("POST", f"{ADF_FACTORY}/pipelines/copy_sales/createRun?{API}",
                       {"run_key": "abc"}, headers=auth)
        check(r2.json["runId"] != run_id, "adf: createRun twice -> two runs (no idempotency)")
        states = poll(lambda: adf_status(fake, run_id, auth), adf_terminal)
        check(states == ["Queued", "InProgress", "Succeeded"], "adf: states", states)
        r = fake.call("GET", f"{ADF_FACTORY}/pipelineruns/{run_id}?{API}", headers=auth)
        check(r.json["parameters"] == {"run_key": "abc", "n": "3"} and r.json["runEnd"] and
              r.json["durationInMs"] >= 0, "adf: run details", r)

        # Failed run: message and the failed activity.
        run_id = fake.call("POST", f"{ADF_FACTORY}/pipelines/fails/createRun?{API}",
                           headers=auth).json["runId"]
        states = poll(lambda: adf_status(fake, run_id, auth), adf_terminal)
        check(states[-1] == "Failed", "adf: fails pipeline fails", states)
        until = time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(time.time() + 60))
        window = {"lastUpdatedAfter": since, "lastUpdatedBefore": until}
        r = fake.call("POST", f"{ADF_FACTORY}/pipelineruns/{run_id}/queryActivityruns?{API}",
                      window, headers=auth)
        check(r.status == 200 and r.json["value"][0]["status"] == "Failed" and
              r.json["value"][0]["error"]["message"] == "Copy activity failed: blob not found",
              "adf: failed activity details", r)

        # Cancel: Canceling on the next read, then Cancelled.
        fake.control({"targets": {"long_copy": {"outcome": "hang"}}})
        run_id = fake.call("POST", f"{ADF_FACTORY}/pipelines/long_copy/createRun?{API}", {},
                           headers=auth).json["runId"]
        adf_status(fake, run_id, auth)
        r = fake.call("POST", f"{ADF_FACTORY}/pipelineruns/{run_id}/cancel?isRecursive=true&{API}",
                      headers=auth)
        check(r.status == 200 and not r.payload, "adf: cancel -> 200, empty body", r)
        states = [adf_status(fake, run_id, auth) for _ in range(3)]
        check(states == ["Canceling", "Cancelled", "Cancelled"], "adf: cancel states", states)
        run_id = fake.call("POST", f"{ADF_FACTORY}/pipelines/cancels/createRun?{API}",
                           headers=auth).json["runId"]
        states = poll(lambda: adf_status(fake, run_id, auth), adf_terminal)
        check(states[-1] == "Cancelled", "adf: cancels pipeline ends Cancelled", states)

        # queryPipelineRuns filters and window.
        def query(filters, **extra):
            r = fake.call("POST", f"{ADF_FACTORY}/queryPipelineRuns?{API}",
                          {**window, "filters": filters, **extra}, headers=auth)
            check(r.status == 200, "adf: queryPipelineRuns", r)
            return [v["pipelineName"] + ":" + v["status"] for v in r.json["value"]]
        got = query([{"operand": "PipelineName", "operator": "Equals", "values": ["copy_sales"]}])
        check(sorted(got) == ["copy_sales:Queued", "copy_sales:Succeeded"],
              "adf: filter PipelineName Equals", got)
        got = query([{"operand": "PipelineName", "operator": "In",
                      "values": ["fails", "cancels"]},
                     {"operand": "Status", "operator": "Equals", "values": ["Failed"]}])
        check(got == ["fails:Failed"], "adf: filter In + Status", got)
        r = fake.call("POST", f"{ADF_FACTORY}/queryPipelineRuns?{API}",
                      {"lastUpdatedAfter": "2020-01-01T00:00:00Z",
                       "lastUpdatedBefore": "2020-01-02T00:00:00Z"}, headers=auth)
        check(r.json["value"] == [], "adf: lastUpdated window excludes", r)

        check_fault_429(fake, "GET", ADF_FACTORY + "/pipelines/copy_sales",
                        lambda: fake.call("GET", f"{ADF_FACTORY}/pipelines/copy_sales?{API}",
                                          headers=auth))
        fake.control({"expire_tokens": True})
        r = fake.call("GET", f"{ADF_FACTORY}?{API}", headers=auth)
        check(r.status == 401 and r.json["error"]["code"] == "ExpiredAuthenticationToken",
              "adf: expired token -> 401", r)
        auth = adf_token(fake)
        check(fake.call("GET", f"{ADF_FACTORY}?{API}", headers=auth).status == 200,
              "adf: fresh token after expiry")

        # Deliberately wrong: no api-version.
        r = fake.call("GET", f"{ADF_FACTORY}/pipelines/copy_sales", headers=auth)
        check(r.status == 400 and r.json["error"]["code"] == "MissingApiVersionParameter",
              "adf: missing api-version -> 400", r)
        finish_engine(fake, ["query parameter 'api-version': required but missing"])


# =======================================================================================
# Prefect
# =======================================================================================
PREFECT_KEY = bearer("pnu_S3cr3t96")


def pf_state(fake: Fake, run_id: str, auth=PREFECT_KEY) -> str:
    return fake.call("GET", f"/api/flow_runs/{run_id}", headers=auth).json["state"]["type"]


def pf_terminal(state: str) -> bool:
    return state in ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")


def pf_start(fake: Fake, deployment: str, auth=PREFECT_KEY, **body) -> Result:
    flow, name = deployment.split("/")
    dep = fake.call("GET", f"/api/deployments/name/{flow}/{name}", headers=auth).json
    return fake.call("POST", f"/api/deployments/{dep['id']}/create_flow_run", body, headers=auth)


def test_prefect() -> None:
    with Fake("prefect") as fake:
        r = fake.call("GET", "/api/health")
        check(r.status == 200 and r.json is True, "prefect: health without auth", r)
        r = fake.call("GET", "/api/deployments/name/etl/prod")
        check(r.status == 401 and r.json == {"exception_message": "Unauthorized"},
              "prefect: no credentials -> 401", r)
        r = fake.call("GET", "/api/deployments/name/etl/prod",
                      headers=basic("prefect", "pf-S3cr3t-97"))
        check(r.status == 200 and r.json["name"] == "prod", "prefect: basic auth string", r)
        dep_id = r.json["id"]
        r = fake.call("GET", f"/api/deployments/{dep_id}", headers=PREFECT_KEY)
        check(r.status == 200 and r.json["id"] == dep_id, "prefect: deployment by id", r)
        r = fake.call("GET", "/api/deployments/name/etl/nope", headers=PREFECT_KEY)
        check(r.status == 404 and r.json == {"detail": "Deployment not found"},
              "prefect: unknown deployment -> 404", r)

        body = {"name": "st-1", "parameters": {"run_key": "abc"}, "idempotency_key": "st-1",
                "tags": ["jobhost"]}
        first = pf_start(fake, "etl/prod", **body)
        again = pf_start(fake, "etl/prod", **body)
        check(first.status == 201 and again.status == 200 and
              first.json["id"] == again.json["id"], "prefect: idempotency_key 201 then 200",
              (first, again))
        run_id = first.json["id"]
        states = poll(lambda: pf_state(fake, run_id), pf_terminal)
        check(states == ["SCHEDULED", "RUNNING", "COMPLETED"], "prefect: states", states)
        log = fake.log()
        check(log["starts"].get("etl/prod") == 1 and log["start_requests"]["etl/prod"] == 2,
              "prefect: starts vs start_requests", log["starts"])

        run_id = pf_start(fake, "etl/fails").json["id"]
        poll(lambda: pf_state(fake, run_id), pf_terminal)
        r = fake.call("GET", f"/api/flow_runs/{run_id}", headers=PREFECT_KEY)
        check(r.json["state"]["type"] == "FAILED" and r.json["state"]["message"] ==
              "Flow run encountered an exception: ValueError('bad row')",
              "prefect: failed state message", r)
        for deployment, final in (("etl/cancels", "CANCELLED"), ("etl/crashes", "CRASHED")):
            run_id = pf_start(fake, deployment).json["id"]
            states = poll(lambda: pf_state(fake, run_id), pf_terminal)
            check(states[-1] == final, f"prefect: {deployment} ends {final}", states)

        # Cancel a SCHEDULED run: REJECT, CANCELLED at once.
        cancelling = {"state": {"type": "CANCELLING", "name": "Cancelling",
                                "message": "deadline"}, "force": False}
        run_id = pf_start(fake, "etl/prod").json["id"]
        r = fake.call("POST", f"/api/flow_runs/{run_id}/set_state", cancelling,
                      headers=PREFECT_KEY)
        check(r.status == 201 and r.json["status"] == "REJECT" and
              r.json["state"]["type"] == "CANCELLED", "prefect: cancel SCHEDULED -> REJECT", r)
        # Cancel a RUNNING run: ACCEPT, CANCELLING, then CANCELLED on the next read.
        fake.control({"targets": {"etl/forever": {"outcome": "hang"}}})
        run_id = pf_start(fake, "etl/forever").json["id"]
        states = [pf_state(fake, run_id) for _ in range(2)]
        r = fake.call("POST", f"/api/flow_runs/{run_id}/set_state", cancelling,
                      headers=PREFECT_KEY)
        check(states == ["SCHEDULED", "RUNNING"] and r.status == 201 and
              r.json["status"] == "ACCEPT" and r.json["state"]["type"] == "CANCELLING",
              "prefect: cancel RUNNING -> ACCEPT", (states, r))
        check(pf_state(fake, run_id) == "CANCELLED", "prefect: CANCELLED on the next read")
        r = fake.call("POST", f"/api/flow_runs/{run_id}/set_state", cancelling,
                      headers=PREFECT_KEY)
        check(r.status == 200 and r.json["status"] == "ABORT", "prefect: terminal -> ABORT", r)

        check_fault_429(fake, "GET", "/api/deployments/name/",
                        lambda: fake.call("GET", "/api/deployments/name/etl/prod",
                                          headers=PREFECT_KEY))
        # Prefect keys are static: expire_tokens does not affect them.
        fake.control({"expire_tokens": True})
        check(fake.call("GET", "/api/deployments/name/etl/prod", headers=PREFECT_KEY)
              .status == 200, "prefect: API key unaffected by expire_tokens")

        # Deliberately wrong: unknown field in create_flow_run; malformed uuid in the path.
        r = pf_start(fake, "etl/prod", name="bad", bogus=1)
        check(r.status == 422, "prefect: unknown create_flow_run field -> 422", r)
        r = fake.call("GET", "/api/flow_runs/not-a-uuid", headers=PREFECT_KEY)
        check(r.status == 422, "prefect: malformed flow run id -> 422", r)
        finish_engine(fake, ["Additional properties are not allowed ('bogus'",
                             "path parameter 'id': 'not-a-uuid' is not a 'uuid'"])

    with Fake("prefect", "--no-auth") as fake:
        r = pf_start(fake, "etl/prod", auth={})
        check(r.status == 201, "prefect --no-auth: create without credentials", r)
        finish_engine(fake, [])


# =======================================================================================
# Persistence and misc
# =======================================================================================
def test_restart() -> None:
    """SIGKILL a fake and restart it on the same port with the same --state-file."""
    TEMP_DIRS.append(tempfile.mkdtemp(prefix="fake-state-"))
    state = os.path.join(TEMP_DIRS[-1], "state.json")
    fake = Fake("databricks", state_file=state).start()
    port = fake.port
    run_id = fake.call("POST", "/api/2.1/jobs/run-now",
                       {"job_id": 101, "idempotency_token": "restart-1"},
                       headers=PAT).json["run_id"]
    first = dbx_state(fake, run_id)
    token = fake.call("POST", "/oidc/v1/token", form={"grant_type": "client_credentials"},
                      headers=basic("dbx-client", "dbx-S3cr3t-94")).json["access_token"]
    fake.stop(signal.SIGKILL)
    fake.start(port)
    check(fake.port == port, "restart: same port")
    again = fake.call("POST", "/api/2.1/jobs/run-now",
                      {"job_id": 101, "idempotency_token": "restart-1"}, headers=PAT)
    check(again.json and again.json["run_id"] == run_id,
          "restart: idempotency token survives", again)
    states = [first] + poll(lambda: dbx_state(fake, run_id, bearer(token)), dbx_terminal)
    check(states == [("PENDING", None, None), ("RUNNING", None, None),
                     ("TERMINATED", "SUCCESS", "SUCCESS")],
          "restart: run continues where it was, issued token still valid", states)
    log = fake.log()
    check(log["starts"] == {"101": 1} and log["token_requests"] == 1 and
          len(log["requests"]) >= 5, "restart: counters and log kept", log["starts"])
    finish_engine(fake, [])
    fake.stop()


def test_unknown_route() -> None:
    with Fake("adf") as fake:
        r = fake.call("GET", "/subscriptions/sub-1/nothing-here")
        check(r.status == 404, "unknown route -> 404", r)
        r = fake.call("POST", "/_fake/control", {"faults": [{"match": "GET"}]})
        check(r.status == 400, "control rejects a malformed fault", r)
        r = fake.call("POST", "/_fake/control", {"targets": {"x": {"outcome": "crashed"}}})
        check(r.status == 400, "control rejects an outcome the engine lacks", r)
        r = fake.call("POST", "/_fake/control", {"runs": {"no-such-run": {"outcome": "success"}}})
        check(r.status == 400, "control rejects an unknown run", r)
        fake.control({"reset": True})
        # A 'hang' run released through the control API ends at its next status read.
        auth = adf_token(fake)
        fake.control({"targets": {"held": {"outcome": "hang"}}})
        run_id = fake.call("POST", f"{ADF_FACTORY}/pipelines/held/createRun?{API}", {},
                           headers=auth).json["runId"]
        states = [adf_status(fake, run_id, auth) for _ in range(3)]
        check(states == ["Queued", "InProgress", "InProgress"], "adf: hang run stays in progress",
              states)
        r = fake.call("POST", "/_fake/control", {"runs": {run_id: {"outcome": "crashed"}}})
        check(r.status == 400, "control rejects a run outcome the engine lacks", r)
        fake.control({"runs": {run_id: {"outcome": "success", "polls": 0}}})
        check(adf_status(fake, run_id, auth) == "Succeeded", "control releases a hang run")
        r = fake.call("POST", "/_fake/control", {"runs": {run_id: {"outcome": "failed"}}})
        check(r.status == 400, "control rejects a change to an ended run", r)
        fake.control({"reset": True})
        finish_engine(fake, [])   # reset cleared the violation above


TESTS = {"airflow": test_airflow, "databricks": test_databricks, "adf": test_adf,
         "prefect": test_prefect, "restart": test_restart, "misc": test_unknown_route}


def main(argv: list[str]) -> int:
    global VERBOSE
    VERBOSE = "-v" in argv
    names = [a for a in argv if not a.startswith("-")] or list(TESTS)
    socket.setdefaulttimeout(30)
    for name in names:
        print(f"== {name}", flush=True)
        try:
            TESTS[name]()
        except Exception:  # a crash is a failure of this test, the others still run
            FAILURES.append(f"{name}: crashed\n{traceback.format_exc()}")
            print(FAILURES[-1], flush=True)
    if FAILURES:
        print(f"\n{len(FAILURES)} failure(s); fake stderr kept in {' '.join(TEMP_DIRS)}",
              flush=True)
        return 1
    for path in TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)
    print("\nall fake engine checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
