"""HTTP plumbing shared by the fake engines: server, routing, auth helpers, faults,
request log, run lifecycle and persistence.

An engine module (airflow.py, databricks.py, adf.py, prefect.py) subclasses Engine and
provides: its vendored specs, predefined targets, credential checks, error bodies and
one handler per operation. This module owns everything else:

  * FakeServer / Handler: ThreadingHTTPServer on 127.0.0.1, HTTP/1.1 keep-alive unless
    the client sends `Connection: close`; a deep listen backlog for many concurrent
    clients.
  * Per request: fault injection -> operation lookup in the specs -> request validation
    -> authentication -> engine handler -> response validation -> log -> persist -> send.
  * /_fake/log and /_fake/control (never validated, never faulted, no auth).
  * Store: all mutable state in one JSON-able dict under one lock; with --state-file it
    is written (tmp + rename) before every response to a request that changed it.
  * Lifecycle: count-based (`polls` status reads) or wall-time (`duration_ms`) progress
    of a run from queued to running to its target's outcome.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from spec import Operation, Spec

SPEC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs")
STATE_VERSION = 1


# ---------------------------------------------------------------------------------------
# Request / response values
# ---------------------------------------------------------------------------------------
@dataclass
class Request:
    method: str
    path: str                      # as sent (not percent-decoded), no query string
    query_string: str
    query: dict[str, list[str]]
    headers: Any                   # Headers (case-insensitive get / get_all)
    body: bytes
    base_url: str                  # http://host:port as the client addressed us
    op: Operation | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    data: Any = None               # parsed body (JSON value or form dict) when valid

    @property
    def spec(self) -> Spec | None:
        return self.op.spec if self.op else None

    def auth(self) -> tuple[str | None, str]:
        """(scheme, credentials) of the Authorization header; scheme None if absent."""
        value = self.headers.get("Authorization")
        if not value:
            return None, ""
        scheme, _, rest = value.strip().partition(" ")
        return scheme.capitalize(), rest.strip()

    def basic(self) -> tuple[str, str] | None:
        scheme, credentials = self.auth()
        if scheme != "Basic":
            return None
        try:
            user, _, password = base64.b64decode(credentials).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    def bearer(self) -> str | None:
        scheme, credentials = self.auth()
        return credentials if scheme == "Bearer" and credentials else None

    def json_body(self) -> Any:
        """Body as JSON even when validation is off (None if absent or unparsable)."""
        if self.data is not None:
            return self.data
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        if isinstance(self.data, dict):
            return {k: str(v) for k, v in self.data.items()}
        try:
            return dict(urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return {}


@dataclass
class Response:
    status: int
    body: Any = None               # JSON-able value; None = empty body
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None       # exact bytes (malformed fault)
    drop: bool = False             # close the connection without answering


def now_iso(ts: float | None = None, digits: int = 6, z: bool = True) -> str:
    """ISO 8601 UTC with `digits` fractional digits and Z (or +00:00)."""
    ts = time.time() if ts is None else ts
    whole = int(ts)
    frac = int(round((ts - whole) * 10 ** digits))
    if frac >= 10 ** digits:
        whole, frac = whole + 1, 0
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    if digits:
        text += f".{frac:0{digits}d}"
    return text + ("Z" if z else "+00:00")


def new_token(prefix: str) -> str:
    """Issued tokens carry 'S3cr3t' so leak checks can grep one marker for everything."""
    return f"{prefix}-S3cr3t-{secrets.token_hex(16)}"


# ---------------------------------------------------------------------------------------
# Engine base
# ---------------------------------------------------------------------------------------
class Engine:
    """Base class for one fake engine. Subclasses fill in the class attributes and hooks."""

    name = ""
    spec_files: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    defaults = {"outcome": "success", "polls": 2, "duration_ms": None, "message": None}

    def __init__(self, store: "Store", options):
        self.store = store
        self.options = options
        self.specs = [Spec(os.path.join(SPEC_DIR, f), f) for f in self.spec_files]
        self.handlers: dict[str, Callable[[Request], Response]] = self.operation_handlers()

    # ---- hooks --------------------------------------------------------------------------
    def operation_handlers(self) -> dict[str, Callable[[Request], Response]]:
        """'<spec file>:<operationId>' -> handler."""
        raise NotImplementedError

    def predefined_targets(self) -> dict[str, dict]:
        raise NotImplementedError

    def normalise_target(self, name: str, target: dict) -> dict:
        """Check/complete a target (engine extras); raise ValueError if invalid."""
        return target

    def authenticate(self, req: Request) -> Response | None:
        """None if the request may proceed, else the engine's 401/403 answer."""
        raise NotImplementedError

    def error(self, req: Request, status: int, message: str, code: str | None = None) -> Response:
        """The engine's error body for status."""
        raise NotImplementedError

    def invalid(self, req: Request, problems: list[str]) -> Response:
        """Answer to a request that violates the spec (400 or 422 as the engine does)."""
        raise NotImplementedError

    def run_view(self, run: dict) -> dict:
        """Engine-native summary of a run for /_fake/log (id, target, state, ...)."""
        return {"id": run["id"], "target": run["target"], "state": run.get("phase")}

    # ---- shared helpers for engines -----------------------------------------------------
    def target(self, name: str) -> dict | None:
        return self.store.data["targets"].get(name)

    def count_start(self, target: str, created: bool) -> None:
        log = self.store.data["log"]
        log["start_requests"][target] = log["start_requests"].get(target, 0) + 1
        if created:
            log["starts"][target] = log["starts"].get(target, 0) + 1

    def new_run(self, run_id: str, target_name: str, **extra) -> dict:
        target = self.target(target_name) or dict(self.defaults)
        run = {"id": run_id, "target": target_name, "created": time.time(), "reads": 0,
               "phase": "queued", "final": None, "ended": None, "cancel": None,
               "behaviour": {k: target.get(k) for k in
                             ("outcome", "polls", "duration_ms", "message")}}
        run.update(extra)
        self.store.data["runs"][run_id] = run
        return run

    def issue_token(self, kind: str, prefix: str, ttl: int, **claims) -> str:
        token = new_token(prefix)
        self.store.data["tokens"][token] = {"kind": kind, "issued": time.time(),
                                            "expires": time.time() + ttl, "expired": False,
                                            **claims}
        self.store.data["log"]["token_requests"] += 1
        return token

    def token_status(self, token: str | None, kind: str) -> str:
        """'valid', 'expired' or 'unknown' for an issued token of kind."""
        entry = self.store.data["tokens"].get(token or "")
        if entry is None or entry["kind"] != kind:
            return "unknown"
        if entry["expired"] or time.time() >= entry["expires"]:
            return "expired"
        return "valid"


def advance(run: dict, count_read: bool) -> None:
    """Move a run along its behaviour. count_read: this access is a status read.

    Count-based: read k (1-based) is queued for k == 1, running for 1 < k <= polls,
    terminal from read polls+1 on. With duration_ms, wall time since creation decides
    instead (queued for the first 10%). Outcome 'hang' never ends by itself.
    Cancellation is engine-specific and handled by the engines before calling this.
    """
    if run["final"] is not None:
        return
    if count_read:
        run["reads"] += 1
    b = run["behaviour"]
    if b.get("duration_ms") is not None:
        elapsed = (time.time() - run["created"]) * 1000.0
        done = elapsed >= b["duration_ms"]
        phase = "queued" if elapsed < 0.1 * b["duration_ms"] else "running"
    else:
        reads = run["reads"]
        done = reads > (b.get("polls") or 0)
        phase = "queued" if reads <= 1 else "running"
    if done and b["outcome"] != "hang":
        finish(run, b["outcome"])
    else:
        run["phase"] = phase
        if phase == "running" and not run.get("started"):
            run["started"] = time.time()


def finish(run: dict, outcome: str) -> None:
    run["final"] = outcome
    run["phase"] = "terminal"
    run["ended"] = time.time()
    if not run.get("started"):            # ended straight from queued (polls 0, PATCH)
        run["started"] = run["created"] + 0.001


# ---------------------------------------------------------------------------------------
# State store and faults
# ---------------------------------------------------------------------------------------
class Store:
    """All mutable state in one JSON-able dict, guarded by one lock."""

    def __init__(self, path: str | None):
        self.path = path
        self.lock = threading.RLock()
        self.data: dict = {}
        self.dirty = False

    def fresh(self, engine: Engine) -> None:
        self.data = {
            "engine": engine.name,
            "targets": {},
            "runs": {},
            "tokens": {},
            "faults": [],
            "counters": {},
            "extra": {},       # engine-specific indexes (idempotency keys, ...)
            "log": {"requests": [], "starts": {}, "start_requests": {}, "token_requests": 0,
                    "violations": []},
        }
        for name, target in engine.predefined_targets().items():
            self.data["targets"][name] = engine.normalise_target(
                name, {**engine.defaults, **target})
        self.dirty = True

    def load(self, engine: Engine) -> bool:
        if not self.path or not os.path.exists(self.path):
            return False
        with open(self.path, encoding="utf-8") as f:
            saved = json.load(f)
        if saved.get("version") != STATE_VERSION or saved["data"].get("engine") != engine.name:
            raise SystemExit(f"{self.path}: state of another engine or version")
        self.data = saved["data"]
        return True

    def save(self) -> None:
        """Write the state if it changed (caller holds the lock)."""
        if not self.path or not self.dirty:
            return
        text = json.dumps({"version": STATE_VERSION, "data": self.data}, separators=(",", ":"))
        tmp = f"{self.path}.tmp.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)
        self.dirty = False

    def counter(self, name: str, start: int) -> int:
        value = self.data["counters"].get(name, start) + 1
        self.data["counters"][name] = value
        return value

    def take_fault(self, method: str, path: str) -> dict | None:
        for fault in self.data["faults"]:
            match = fault.get("match", "*")
            if match != "*":
                want_method, _, prefix = match.partition(" ")
                if want_method.upper() not in (method, "*") or not path.startswith(prefix):
                    continue
            fault["count"] = fault.get("count", 1) - 1
            if fault["count"] <= 0:
                self.data["faults"].remove(fault)
            self.dirty = True
            return fault
        return None


FAULT_KINDS = ("status", "retry_after", "delay_ms", "malformed", "drop")


def check_fault(fault: dict) -> dict:
    if not isinstance(fault, dict) or not any(k in fault for k in FAULT_KINDS):
        raise ValueError(f"fault needs one of {FAULT_KINDS}: {fault!r}")
    match = fault.get("match", "*")
    if match != "*" and (" " not in match or not match.split(" ", 1)[1].startswith("/")):
        raise ValueError(f"fault match must be '*' or 'METHOD /path-prefix': {match!r}")
    count = fault.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"fault count must be a positive integer: {count!r}")
    fault = dict(fault, match=match, count=count)
    if "retry_after" in fault and "status" not in fault:
        fault["status"] = 429
    return fault


# ---------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------
class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 2048       # the benchmark opens ~1,000 connections at once
    allow_reuse_address = True

    def __init__(self, port: int, engine_cls, options):
        self.options = options
        self.validate = not options.no_validate
        self.store = Store(options.state_file)
        self.engine: Engine = engine_cls(self.store, options)
        if not self.store.load(self.engine):
            self.store.fresh(self.engine)
        with self.store.lock:
            self.store.save()
        super().__init__(("127.0.0.1", port), Handler)

    # ---- control API --------------------------------------------------------------------
    def log_snapshot(self) -> dict:
        data = self.store.data
        log = data["log"]
        return {
            "requests": log["requests"],
            "starts": log["starts"],
            "start_requests": log["start_requests"],
            # created/ended (epoch seconds): how long each remote run lasted (the benchmark's floor)
            "runs": [{**self.engine.run_view(r), "created": r["created"], "ended": r.get("ended")}
                     for r in data["runs"].values()],
            "token_requests": log["token_requests"],
            "violations": log["violations"],
            "targets": data["targets"],
            "faults_pending": data["faults"],
        }

    def control(self, body: Any) -> Response:
        if not isinstance(body, dict):
            return Response(400, {"error": "control body must be a JSON object"})
        data = self.store.data
        unknown = set(body) - {"targets", "runs", "faults", "expire_tokens", "reset"}
        if unknown:
            return Response(400, {"error": f"unknown control keys {sorted(unknown)}"})
        try:
            if body.get("reset"):
                self.store.fresh(self.engine)
                data = self.store.data
            for name, changes in (body.get("targets") or {}).items():
                if not isinstance(changes, dict):
                    raise ValueError(f"target {name!r}: expected an object")
                unknown_keys = set(changes) - set(self.engine.defaults)
                if unknown_keys:
                    raise ValueError(f"target {name!r}: unknown keys {sorted(unknown_keys)}; "
                                     f"known: {sorted(self.engine.defaults)}")
                base = data["targets"].get(name) or dict(self.engine.defaults)
                merged = self.engine.normalise_target(name, {**base, **changes})
                if merged["outcome"] not in self.engine.outcomes:
                    raise ValueError(f"target {name!r}: outcome {merged['outcome']!r} not one "
                                     f"of {list(self.engine.outcomes)}")
                data["targets"][name] = merged
            for run_id, changes in (body.get("runs") or {}).items():
                self.change_run(run_id, changes)
            for fault in body.get("faults") or []:
                data["faults"].append(check_fault(fault))
            if body.get("expire_tokens"):
                for token in data["tokens"].values():
                    token["expired"] = True
        except ValueError as exc:
            return Response(400, {"error": str(exc)})
        self.store.dirty = True
        return Response(200, {"ok": True, "targets": sorted(data["targets"]),
                              "faults_pending": len(data["faults"])})

    RUN_BEHAVIOUR = ("outcome", "polls", "duration_ms", "message")

    def change_run(self, run_id: str, changes: Any) -> None:
        """Merge `changes` into an existing run's behaviour (e.g. release a 'hang' run with
        {"outcome": "success", "polls": 0}); it applies from the run's next status read."""
        run = self.store.data["runs"].get(run_id)
        if run is None:
            raise ValueError(f"run {run_id!r}: no such run")
        if not isinstance(changes, dict):
            raise ValueError(f"run {run_id!r}: expected an object")
        unknown_keys = set(changes) - set(self.RUN_BEHAVIOUR)
        if unknown_keys:
            raise ValueError(f"run {run_id!r}: unknown keys {sorted(unknown_keys)}; "
                             f"known: {list(self.RUN_BEHAVIOUR)}")
        outcome = changes.get("outcome", run["behaviour"]["outcome"])
        if outcome not in self.engine.outcomes:
            raise ValueError(f"run {run_id!r}: outcome {outcome!r} not one of "
                             f"{list(self.engine.outcomes)}")
        if run["final"] is not None:
            raise ValueError(f"run {run_id!r} has ended already")
        run["behaviour"].update(changes)

    def violation(self, text: str) -> None:
        self.store.data["log"]["violations"].append(text)
        self.store.dirty = True
        print(f"[fake {self.engine.name}] VIOLATION {text}", file=sys.stderr, flush=True)

    # ---- one engine request -------------------------------------------------------------
    def dispatch(self, req: Request) -> tuple[Response, str | None, dict | None]:
        """(response, operation id, fault applied): faults around serve()."""
        with self.store.lock:
            fault = self.store.take_fault(req.method, req.path)
        if fault and fault.get("delay_ms"):
            time.sleep(fault["delay_ms"] / 1000.0)
        answers = fault and any(k in fault for k in ("status", "malformed", "drop"))
        if answers and not fault.get("after"):
            return self.fault_response(req, fault, None), None, fault
        response, operation = self.serve(req)
        if answers:
            response = self.fault_response(req, fault, response)
        return response, operation, fault

    def serve(self, req: Request) -> tuple[Response, str | None]:
        """Find the operation, validate, authenticate, run the engine handler."""
        store, engine = self.store, self.engine
        op, path_known = None, False
        for spec in engine.specs:
            op, req.path_params, known = spec.match(req.method, req.path)
            path_known = path_known or known
            if op:
                break
        req.op = op
        if op is None:
            with store.lock:
                if path_known:
                    self.violation(f"{req.method} {req.path}: method not allowed for this path")
                    return engine.error(req, 405, "Method Not Allowed"), None
                self.violation(f"{req.method} {req.path}: no operation in the spec for this path")
                return engine.error(req, 404, "Not Found"), None

        where = f"{req.method} {req.path} [{op.operation_id}]"
        problems: list[str] = []
        if self.validate:
            problems, req.data = op.spec.validate_request(op, req.path_params, req.query,
                                                          req.headers, req.body)
        with store.lock:
            for problem in problems:
                self.violation(f"{where} request {problem}")
            response = engine.authenticate(req)
            if response is None:
                if problems:
                    response = engine.invalid(req, problems)
                else:
                    response = engine.handlers[f"{op.spec.name}:{op.operation_id}"](req)
        if self.validate:
            bad = op.spec.validate_response(op, response.status, response.body,
                                            response.body is not None)
            with store.lock:
                for problem in bad:
                    self.violation(f"{where} (fake bug) {problem}")
        return response, op.operation_id

    def fault_response(self, req: Request, fault: dict, real: Response | None) -> Response:
        if fault.get("drop"):
            return Response(0, drop=True)
        if fault.get("malformed"):
            text = json.dumps(real.body if real is not None and real.body is not None
                              else {"state": "running", "message": "truncated"})
            return Response(200, raw=text[: max(1, len(text) // 2)].encode(),
                            headers={"Content-Type": "application/json"})
        status = fault.get("status", 500)
        response = self.engine.error(req, status, f"injected fault: HTTP {status}")
        if "retry_after" in fault:
            response.headers["Retry-After"] = str(fault["retry_after"])
        return response


class Headers:
    """Case-insensitive request headers (the parts of http.client.HTTPMessage we use)."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        self._items.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._items.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str] | None:
        return self._items.get(name.lower())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeServer
    server_version = "jobhost-fake"
    sys_version = ""
    disable_nagle_algorithm = True      # answers go out in one write anyway

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass

    def parse_request(self) -> bool:
        """A lean replacement for the stdlib's email-based header parsing (~30% of the
        CPU per request), which the benchmark (1,000 concurrent runs) needs."""
        self.command = None
        self.request_version = version = "HTTP/1.0"
        self.close_connection = True
        words = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n").split()
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            self.send_error(400, "Bad request line")
            return False
        self.command, self.path, version = words
        if version not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(505, f"Unsupported HTTP version {version}")
            return False
        self.request_version = version
        headers = Headers()
        for _ in range(200):
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = line.decode("iso-8859-1").partition(":")
            if not sep:
                self.send_error(400, "Bad header line")
                return False
            headers.add(name.strip(), value.strip())
        else:
            self.send_error(431, "Too many headers")
            return False
        self.headers = headers
        connection = (headers.get("Connection") or "").lower()
        self.close_connection = connection == "close" or (
            version == "HTTP/1.0" and connection != "keep-alive")
        if (headers.get("Expect") or "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def do_GET(self) -> None:
        self.handle_one()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def handle_one(self) -> None:
        server = self.server
        path, _, query_string = self.path.partition("?")
        host = self.headers.get("Host") or f"127.0.0.1:{server.server_address[1]}"
        req = Request(self.command, path, query_string,
                      urllib.parse.parse_qs(query_string, keep_blank_values=True),
                      self.headers, self.read_body(), f"http://{host}")

        if path.startswith("/_fake/"):
            self.send(self.fake_endpoint(req))
            return

        response, operation, fault = server.dispatch(req)
        scheme = req.auth()[0]
        entry = {"method": req.method, "path": req.path, "query": req.query_string,
                 "status": response.status if not response.drop else None,
                 "operation": operation, "auth": scheme}
        if fault:
            entry["fault"] = {k: v for k, v in fault.items() if k not in ("match", "count")}
        with server.store.lock:
            server.store.data["log"]["requests"].append(entry)
            server.store.dirty = True
            server.store.save()
        self.send(response)

    def fake_endpoint(self, req: Request) -> Response:
        server = self.server
        with server.store.lock:
            if req.method == "GET" and req.path == "/_fake/log":
                return Response(200, raw=json.dumps(server.log_snapshot()).encode("utf-8"))
            if req.method == "POST" and req.path == "/_fake/control":
                try:
                    body = json.loads(req.body or b"null")
                except ValueError as exc:
                    return Response(400, {"error": f"control body is not JSON: {exc}"})
                response = server.control(body)
                server.store.save()
                return response
        return Response(404, {"error": "unknown /_fake endpoint; use GET /_fake/log or "
                                       "POST /_fake/control"})

    def send(self, response: Response) -> None:
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if response.raw is not None:
            payload = response.raw
        elif response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body, separators=(",", ":")).encode("utf-8")
        reason = self.responses.get(response.status, ("",))[0]
        lines = [f"HTTP/1.1 {response.status} {reason}", f"Server: {self.server_version}",
                 f"Date: {self.date_time_string()}"]
        if payload and "Content-Type" not in response.headers:
            lines.append("Content-Type: application/json")
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1")
        try:
            self.wfile.write(head + (payload if self.command != "HEAD" else b""))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
