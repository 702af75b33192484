"""Load a vendored API description and check requests and responses against it.

A vendored file (tests/connectors/specs/*.json) is an OpenAPI 3.0/3.1 or Swagger 2.0
subset plus an `x-jobhost-additions` object (see specs/overlays.py). Loading:

  1. apply the additions' patches and transforms (each patch checks its precondition);
  2. rewrite OpenAPI `nullable: true` / Swagger `x-nullable: true` into JSON Schema
     type unions (`["string", "null"]`, enum + null, or anyOf [..., {"type": "null"}]);
  3. build one Operation per method + path, with the path compiled to a regex under
     the mount prefix.

Validation uses jsonschema: Draft 4 for OpenAPI 3.0 and Swagger 2.0, Draft 2020-12 for
OpenAPI 3.1. $refs resolve inside the file. Two OpenAPI rules are added on top:
`readOnly` properties must not appear in requests and `writeOnly` ones not in
responses (and neither counts as `required` on the side where it is absent); formats
date-time (RFC 3339 with offset), date, uuid, int32 and int64 are checked.

All checks return lists of human-readable strings; an empty list means valid.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker, RefResolver
from jsonschema.exceptions import ValidationError

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MAX_MESSAGES = 5


class SpecError(Exception):
    """The vendored file cannot be loaded (bad patch precondition, bad structure)."""


# ---------------------------------------------------------------------------------------
# JSON pointer helpers
# ---------------------------------------------------------------------------------------
def _tokens(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]


def pointer_get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _apply_patch(doc: dict, patch: dict) -> None:
    op, pointer, value = patch["op"], patch["path"], patch["value"]
    tokens = _tokens(pointer)
    try:
        parent = pointer_get(doc, "/" + "/".join(
            t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1]))
    except (KeyError, IndexError) as exc:
        raise SpecError(f"patch {op} {pointer}: parent missing ({exc})") from None
    last = tokens[-1]
    if op == "add":
        if last in parent:
            raise SpecError(f"patch add {pointer}: already present in the official part")
        parent[last] = json.loads(json.dumps(value))
    elif op == "replace":
        if last not in parent:
            raise SpecError(f"patch replace {pointer}: nothing to replace")
        parent[last] = json.loads(json.dumps(value))
    elif op == "append":
        target = parent.get(last)
        if not isinstance(target, list):
            raise SpecError(f"patch append {pointer}: target is not an array")
        already = [v for v in value if v in target]
        if already:
            raise SpecError(f"patch append {pointer}: {already} already present")
        target.extend(value)
    else:
        raise SpecError(f"unknown patch op {op!r}")


# ---------------------------------------------------------------------------------------
# Whole-document transforms named in x-jobhost-additions.transforms
# ---------------------------------------------------------------------------------------
_SCHEMA_SHAPE_KEYS = {"properties", "additionalProperties", "allOf", "anyOf", "oneOf", "$ref",
                      "enum", "items", "discriminator", "required"}


def _autorest_any_object(doc: dict) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and not (_SCHEMA_SHAPE_KEYS & node.keys()) \
                    and "in" not in node:
                del node["type"]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    for key in ("definitions", "parameters", "paths"):
        walk(doc.get(key))


TRANSFORMS = {"autorest-any-object": _autorest_any_object}


# ---------------------------------------------------------------------------------------
# nullable -> JSON Schema
# ---------------------------------------------------------------------------------------
def _with_null(schema: dict) -> dict:
    if "$ref" in schema:
        ref = {"$ref": schema.pop("$ref")}
        return {"anyOf": [ref, {"type": "null"}], **schema}
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if "null" not in types:
            schema["type"] = types + ["null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = schema["enum"] + [None]
        return schema
    if "enum" in schema:
        if None not in schema["enum"]:
            schema["enum"] = schema["enum"] + [None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _convert_nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _convert_nullable(v) for k, v in node.items()}
        flag = node.pop("nullable", None) if node.get("nullable") in (True, False) else None
        xflag = node.pop("x-nullable", None) if node.get("x-nullable") in (True, False) else None
        if flag is True or xflag is True:
            return _with_null(node)
        return node
    if isinstance(node, list):
        return [_convert_nullable(v) for v in node]
    return node


# ---------------------------------------------------------------------------------------
# Formats and OpenAPI keywords
# ---------------------------------------------------------------------------------------
_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                        r"([Zz]|[+-]\d{2}:\d{2})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time")
def _is_date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.match(value)
    if not m:
        return False
    try:
        datetime.datetime(*(int(m.group(i)) for i in range(1, 4)),
                          *(int(m.group(i)) for i in range(4, 6)),
                          min(int(m.group(6)), 59))
    except ValueError:
        return False
    return True


@FORMATS.checks("date")
def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.date.fromisoformat(value)
        return len(value) == 10
    except ValueError:
        return False


@FORMATS.checks("uuid")
def _is_uuid(value: Any) -> bool:
    return not isinstance(value, str) or bool(_UUID.match(value))


@FORMATS.checks("int32")
def _is_int32(value: Any) -> bool:
    return not isinstance(value, int) or -2**31 <= value < 2**31


@FORMATS.checks("int64")
def _is_int64(value: Any) -> bool:
    return not isinstance(value, int) or -2**63 <= value < 2**63


def _flag(validator, schema: Any, keyword: str) -> bool:
    """Whether schema (following $refs) has keyword: true."""
    for _ in range(8):
        if not isinstance(schema, dict):
            return False
        if schema.get(keyword) is True:
            return True
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            return False
        schema = validator.resolver.resolve(ref)[1]
    return False


def _forbidden(keyword: str, side: str):
    def check(validator, value, instance, schema):
        if value is True:
            yield ValidationError(f"is {keyword} and must not be sent in a {side}")
    return check


def _required_except(keyword: str):
    def check(validator, required, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        properties = schema.get("properties", {})
        for name in required:
            if name not in instance and not _flag(validator, properties.get(name), keyword):
                yield ValidationError(f"{name!r} is a required property")
    return check


def _validator_classes(base):
    request = jsonschema.validators.extend(base, {
        "readOnly": _forbidden("readOnly", "request"),
        "required": _required_except("readOnly")})
    response = jsonschema.validators.extend(base, {
        "writeOnly": _forbidden("writeOnly", "response"),
        "required": _required_except("writeOnly")})
    return request, response


_DRAFT4 = _validator_classes(Draft4Validator)
_DRAFT2020 = _validator_classes(Draft202012Validator)


def _describe(errors: list[ValidationError], where: str) -> list[str]:
    messages = []
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))[:MAX_MESSAGES]:
        location = where + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}"
                                   for p in error.absolute_path)
        messages.append(f"{location}: {error.message}")
    if len(errors) > MAX_MESSAGES:
        messages.append(f"{where}: ... and {len(errors) - MAX_MESSAGES} more")
    return messages


# ---------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------
@dataclass
class Parameter:
    name: str
    location: str          # path | query | header
    required: bool
    schema: dict
    explode: bool          # arrays: repeated key (True) or comma separated (False)


@dataclass
class Operation:
    spec: "Spec"
    method: str            # upper case
    template: str          # full path template including the mount prefix
    operation_id: str
    regex: re.Pattern
    literal_segments: int
    parameters: list[Parameter]
    body_required: bool
    body_media: dict[str, dict]      # media type -> schema
    responses: dict[str, dict | None]  # status | "default" -> schema (None: no body)
    _cache: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.template} ({self.operation_id})"


class Spec:
    """One vendored API description: operation lookup and validation."""

    def __init__(self, path: str, name: str | None = None):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.name = name or path.rsplit("/", 1)[-1]
        additions = doc.get("x-jobhost-additions", {})
        for patch in additions.get("patches", []):
            _apply_patch(doc, patch)
        for transform in additions.get("transforms", []):
            TRANSFORMS[transform["name"]](doc)
        self.doc = _convert_nullable(doc)
        self.mount = additions.get("mount_prefix", {}).get("value", "")
        self.swagger = "swagger" in doc
        version = str(doc.get("openapi", "2.0"))
        self._request_cls, self._response_cls = \
            _DRAFT2020 if version.startswith("3.1") else _DRAFT4
        self._resolver = RefResolver(base_uri="", referrer=self.doc)
        self._lock = threading.Lock()
        self._group_names: dict[str, str] = {}   # regex group -> path parameter name
        self.operations = sorted(self._build_operations(),
                                 key=lambda op: (-op.literal_segments, op.template))

    # ---- construction -------------------------------------------------------------------
    def _deref(self, node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = pointer_get(self.doc, node["$ref"][1:])
        return node

    def _build_operations(self) -> list[Operation]:
        operations = []
        for path, item in self.doc.get("paths", {}).items():
            mount = item.get("x-jobhost-mount", self.mount)
            template = mount.rstrip("/") + path
            literal, pattern = 0, ""
            for segment in template.strip("/").split("/"):
                parts = re.split(r"(\{[^}]+\})", segment)
                piece = ""
                for part in parts:
                    if part.startswith("{") and part.endswith("}"):
                        piece += f"(?P<{self._group(part[1:-1])}>[^/]+)"
                    else:
                        piece += re.escape(part)
                if len(parts) == 1:
                    literal += 1
                pattern += "/" + piece
            regex = re.compile("^" + pattern + "$")
            for method in HTTP_METHODS:
                if method in item:
                    operations.append(self._operation(item, method, template, regex, literal))
        return operations

    def _group(self, name: str) -> str:
        safe = "p_" + re.sub(r"\W", "_", name)
        self._group_names[safe] = name
        return safe

    def _operation(self, item: dict, method: str, template: str, regex, literal) -> Operation:
        op = item[method]
        merged: dict[tuple[str, str], dict] = {}
        for raw in item.get("parameters", []) + op.get("parameters", []):
            p = self._deref(raw)
            merged[(p["name"], p["in"])] = p
        parameters, form_props, form_required, body_schema, body_required = [], {}, [], None, False
        for (name, location), p in merged.items():
            if location == "body":
                body_schema, body_required = p.get("schema", {}), bool(p.get("required"))
                continue
            if self.swagger:
                schema = {k: v for k, v in p.items()
                          if k not in ("name", "in", "required", "description",
                                       "collectionFormat", "allowEmptyValue")
                          and not k.startswith("x-ms-")}
                explode = p.get("collectionFormat") == "multi"
            else:
                schema = p.get("schema", {})
                explode = p.get("explode", p.get("style", "form") == "form")
            if location == "formData":
                form_props[name] = schema
                if p.get("required"):
                    form_required.append(name)
                continue
            parameters.append(Parameter(name, location, bool(p.get("required")), schema, explode))

        body_media: dict[str, dict] = {}
        if self.swagger:
            consumes = op.get("consumes", self.doc.get("consumes", [JSON]))
            if body_schema is not None:
                body_media = {m: body_schema for m in consumes}
            elif form_props:
                body_schema = {"type": "object", "properties": form_props,
                               "required": form_required}
                body_media = {FORM: body_schema}
                body_required = bool(form_required)
        elif "requestBody" in op:
            request_body = self._deref(op["requestBody"])
            body_required = bool(request_body.get("required"))
            body_media = {m: c.get("schema", {}) for m, c in request_body["content"].items()}

        responses: dict[str, dict | None] = {}
        for status, raw in op.get("responses", {}).items():
            response = self._deref(raw)
            if self.swagger:
                responses[str(status)] = response.get("schema")
            else:
                content = response.get("content") or {}
                media = content.get(JSON) or next(iter(content.values()), None)
                responses[str(status)] = None if media is None else media.get("schema", {})
        return Operation(self, method.upper(), template, op.get("operationId", ""), regex,
                         literal, parameters, body_required, body_media, responses)

    # ---- lookup -------------------------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """(operation, decoded path params, path_known). path_known: some method exists."""
        path_known = False
        for op in self.operations:
            m = op.regex.match(path)
            if not m:
                continue
            path_known = True
            if op.method == method:
                params = {self._group_names[k]: urllib.parse.unquote(v)
                          for k, v in m.groupdict().items()}
                return op, params, True
        return None, {}, path_known

    # ---- validation ---------------------------------------------------------------------
    def _validator(self, op: Operation, key: tuple, schema: dict, response: bool):
        cached = op._cache.get(key)
        if cached is None:
            cls = self._response_cls if response else self._request_cls
            cached = cls(schema, resolver=self._resolver, format_checker=FORMATS)
            op._cache[key] = cached
        return cached

    def _check(self, op: Operation, key: tuple, schema: dict, value: Any, where: str,
               response: bool = False) -> list[str]:
        with self._lock:
            validator = self._validator(op, key, schema, response)
            errors = list(validator.iter_errors(value))
        return _describe(errors, where) if errors else []

    @staticmethod
    def _types(schema: dict) -> list[str]:
        t = schema.get("type")
        if t is None and "anyOf" in schema:   # e.g. {"anyOf": [{"type": "integer"}, null]}
            return [x for s in schema["anyOf"] for x in Spec._types(s)]
        return t if isinstance(t, list) else [t] if t else []

    def _coerce(self, raw: str, schema: dict) -> tuple[Any, str | None]:
        """A query/path/header/form string as the JSON value its schema describes."""
        schema = self._deref(schema)
        types = self._types(schema)
        if "integer" in types and re.fullmatch(r"-?\d+", raw):
            return int(raw), None
        if "number" in types:
            try:
                return float(raw), None
            except ValueError:
                pass
        if "boolean" in types and raw.lower() in ("true", "false"):
            return raw.lower() == "true", None
        if not types or "string" in types:
            return raw, None
        return raw, f"{raw!r} is not of type {' or '.join(t for t in types if t != 'null')}"

    def _param_value(self, p: Parameter, raw_values: list[str]) -> tuple[Any, list[str]]:
        schema = self._deref(p.schema)
        if "array" in self._types(schema):
            values = raw_values if p.explode else [v for raw in raw_values for v in raw.split(",")]
            items = self._deref(schema.get("items", {}))
            coerced, problems = [], []
            for v in values:
                value, problem = self._coerce(v, items)
                coerced.append(value)
                if problem:
                    problems.append(problem)
            return coerced, problems
        if len(raw_values) > 1:
            return raw_values[-1], [f"given {len(raw_values)} times"]
        value, problem = self._coerce(raw_values[0], schema)
        return value, [problem] if problem else []

    def validate_request(self, op: Operation, path_params: dict[str, str],
                         query: dict[str, list[str]], headers, body: bytes
                         ) -> tuple[list[str], Any]:
        """Violations of op by the request, and the parsed body (JSON value, form dict or None)."""
        problems: list[str] = []
        for p in op.parameters:
            if p.location == "path":
                raw = [path_params[p.name]] if p.name in path_params else []
            elif p.location == "query":
                raw = query.get(p.name, [])
            elif p.location == "header":
                raw = headers.get_all(p.name) or []
            else:
                continue
            where = f"{p.location} parameter {p.name!r}"
            if not raw:
                if p.required:
                    problems.append(f"{where}: required but missing")
                continue
            value, coerce_problems = self._param_value(p, raw)
            problems += [f"{where}: {m}" for m in coerce_problems]
            if not coerce_problems:
                problems += self._check(op, ("param", p.location, p.name), p.schema, value, where)

        parsed = None
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not op.body_media:
            if body and op.method in ("GET", "HEAD", "DELETE"):
                problems.append(f"body: {op.method} must not carry a body")
            return problems, parsed
        if not body:
            if op.body_required:
                problems.append("body: required but empty")
            return problems, parsed
        if not content_type:
            problems.append("header 'Content-Type': missing for a request with a body "
                            f"(expected one of {sorted(op.body_media)})")
            return problems, parsed
        schema = op.body_media.get(content_type)
        if schema is None:
            problems.append(f"header 'Content-Type': {content_type!r} not accepted "
                            f"(expected one of {sorted(op.body_media)})")
            return problems, parsed
        if content_type == FORM:
            try:
                fields = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True,
                                               strict_parsing=True)
            except (UnicodeDecodeError, ValueError) as exc:
                return problems + [f"body: not valid form encoding ({exc})"], parsed
            props = self._deref(schema).get("properties", {})
            parsed = {}
            for name, values in fields.items():
                value, problem = self._coerce(values[-1], props.get(name, {}))
                parsed[name] = value
                if problem:
                    problems.append(f"form field {name!r}: {problem}")
        else:
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                return problems + [f"body: not valid JSON ({exc})"], None
        problems += self._check(op, ("body", content_type), schema, parsed, "body")
        return problems, parsed

    def validate_response(self, op: Operation, status: int, body: Any, has_body: bool
                          ) -> list[str]:
        """Violations of op by a response the fake is about to send."""
        key = str(status)
        if key not in op.responses:
            key = f"{key[0]}XX" if f"{key[0]}XX" in op.responses else "default"
        if key not in op.responses:
            return [f"response {status}: status not documented"] if status < 400 else []
        schema = op.responses[key]
        if schema is None:
            return [f"response {status}: spec documents no body"] if has_body else []
        if not has_body:
            return [f"response {status}: body missing"]
        return self._check(op, ("response", key), schema, body, f"response {status} body",
                           response=True)
