#!/usr/bin/python3
"""Checks recorded HTTP answers of `jobhost serve` against docs/serve-openapi.json.

    openapi_check.py OPENAPI RESPONSES.jsonl [--require-all-operations] [--expect-each-invalid]
    openapi_check.py OPENAPI --document [--run-schema docs/schemas/run.schema.json]
    openapi_check.py OPENAPI --sync-run-schema docs/schemas/run.schema.json

RESPONSES.jsonl holds one answer per line, as tests/serve records them:
    {"method": "GET", "path": "/api/v1/runs/x", "status": 200,
     "content_type": "application/json", "headers": {"location": "..."}, "body": "..."}

Each answer must be documented: its path template and method, its status (or one of the
answers any request may get: 400 malformed, 413, 431), its exact Content-Type, the headers
the response declares, and a body valid against the schema (JSON Schema 2020-12, as OpenAPI
3.1 uses it). A path nothing matches must be a documented 404; a known path with another
method a 405 whose Allow lists the path's methods.

--require-all-operations: also fail unless every documented operation answered 2xx once.
--expect-each-invalid: the inverse, for the checker's own test: every answer must be rejected.
--document: check the document itself (every $ref resolves, every response has a schema) and,
with --run-schema, that its Run schema says the same as the run document's JSON Schema.
--sync-run-schema: rewrites OPENAPI's Run schema (and its parts) from the run document's.
Exit 0 when all is well, 1 with one line per problem otherwise.
"""
import json
import sys

from jsonschema import Draft202012Validator

# Answers the server itself gives to any request, before routing.
ANY_REQUEST = {400: "MalformedRequest", 413: "PayloadTooLarge", 431: "HeaderTooLarge"}
UNMATCHED = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}
ANNOTATIONS = ("description", "title", "$schema", "$id", "summary", "default")


def pointer(doc, ref):
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def inline(doc, node, seen=()):
    """The schema with every $ref replaced by what it points to (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise ValueError(f"recursive reference {ref}")
            target = inline(doc, pointer(doc, ref), seen + (ref,))
            rest = {k: inline(doc, v, seen) for k, v in node.items() if k != "$ref"}
            return {"allOf": [target, rest]} if rest else target
        return {k: inline(doc, v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(doc, v, seen) for v in node]
    return node


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(doc, node["$ref"])
    return node


def match_template(template, path):
    t, p = template.split("/"), path.split("/")
    if len(t) != len(p):
        return False
    for ts, ps in zip(t, p):
        if ts.startswith("{") and ts.endswith("}"):
            if not ps:
                return False
        elif ts != ps:
            return False
    return True


def find_template(doc, path):
    # A literal template wins over one with parameters (as in the server's route table).
    found = [t for t in doc["paths"] if match_template(t, path)]
    found.sort(key=lambda t: t.count("{"))
    return found[0] if found else None


def check_response(doc, response, answer):
    """Problems of `answer` against one OpenAPI response object."""
    response = resolve(doc, response)
    problems = []
    content = response.get("content", {})
    ctype = answer.get("content_type", "")
    if content and ctype not in content:
        return [f"Content-Type '{ctype}' is not documented (documented: {', '.join(content)})"]
    headers = {k.lower(): v for k, v in answer.get("headers", {}).items()}
    for name, spec in response.get("headers", {}).items():
        if name.lower() not in headers:
            problems.append(f"header {name} is documented but missing")
            continue
        schema = inline(doc, resolve(doc, spec).get("schema", {}))
        for e in Draft202012Validator(schema).iter_errors(headers[name.lower()]):
            problems.append(f"header {name}: {e.message}")
    if not content or answer.get("body") is None:  # None: a HEAD answer, no body to check
        return problems
    schema = inline(doc, content[ctype].get("schema", {}))
    body = answer.get("body", "")
    if ctype.startswith("application/json"):
        try:
            body = json.loads(body)
        except ValueError as e:
            return problems + [f"body is not JSON: {e}"]
    for e in sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(body)"
        problems.append(f"body at {where}: {e.message[:300]}")
    return problems


def check_answer(doc, answer, seen):
    method, path, status = answer["method"].upper(), answer["path"], int(answer["status"])
    template = find_template(doc, path)
    responses = doc["components"]["responses"]
    if template is None:
        name = UNMATCHED.get(status) or ANY_REQUEST.get(status)
        if not name:
            return [f"no documented path matches, and status {status} is not a documented "
                    "answer to unknown paths"]
        return check_response(doc, responses[name], answer)
    item = doc["paths"][template]
    verbs = ("get", "put", "post", "delete", "patch", "head", "options")
    methods = [m.upper() for m in item if m in verbs]
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")  # HEAD is GET without the body (RFC 9110)
    if method == "HEAD" and "head" not in item:
        if answer.get("body"):
            return ["the answer to HEAD has a body"]
        answer = dict(answer, method="GET", body=None)
        method = "GET"
    if method not in methods:
        if status in ANY_REQUEST:
            return check_response(doc, responses[ANY_REQUEST[status]], answer)
        if status != 405:
            return [f"{method} is not documented for {template}: expected 405, got {status}"]
        allow_header = answer.get("headers", {}).get("allow", "")
        allow = {m.strip() for m in allow_header.split(",") if m.strip()}
        problems = check_response(doc, responses["MethodNotAllowed"], answer)
        if allow != set(methods):
            problems.append(f"Allow is {sorted(allow)}, the document has {sorted(methods)}")
        return problems
    operation = item[method.lower()]
    documented = operation["responses"]
    if str(status) in documented:
        if 200 <= status < 300 and answer.get("body") is not None:
            seen.add((template, method))
        return check_response(doc, documented[str(status)], answer)
    if status in ANY_REQUEST:
        return check_response(doc, responses[ANY_REQUEST[status]], answer)
    return [f"status {status} is not documented for {method} {template} "
            f"(documented: {', '.join(documented)})"]


def check_document(doc, run_schema_path):
    problems = []
    try:
        inline(doc, doc)
    except (KeyError, ValueError) as e:
        return [f"the document has a reference that does not resolve: {e}"]
    for template, item in doc["paths"].items():
        for method, op in item.items():
            if not op.get("responses"):
                problems.append(f"{method.upper()} {template} documents no response")
            for status, r in op.get("responses", {}).items():
                for ctype, media in resolve(doc, r).get("content", {}).items():
                    if "schema" not in media:
                        problems.append(f"{method.upper()} {template} {status} {ctype}: no schema")
    if run_schema_path:
        run = json.load(open(run_schema_path, encoding="utf-8"))
        def strip(n):
            if isinstance(n, dict):
                return {k: strip(v) for k, v in n.items() if k not in ANNOTATIONS}
            return [strip(v) for v in n] if isinstance(n, list) else n

        ours = strip(inline(doc, doc["components"]["schemas"]["Run"]))
        theirs = strip(inline(run, {k: v for k, v in run.items() if k != "$defs"}))
        if ours != theirs:
            problems.append(f"components.schemas.Run differs from {run_schema_path}: copy the "
                            f"change with openapi_check.py OPENAPI --sync-run-schema "
                            f"{run_schema_path}")
    return problems


# The run document's $defs, as components of the OpenAPI document.
def component_name(definition):
    return {"job": "RunJob"}.get(definition, "".join(w.title() for w in definition.split("_")))


def sync_run_schema(doc, run_schema_path):
    """Copies the run document's JSON Schema into components (Run and its $defs)."""
    run = json.load(open(run_schema_path, encoding="utf-8"))

    def rewrite(node):
        if isinstance(node, dict):
            return {k: ("#/components/schemas/" + component_name(v[len("#/$defs/"):])
                        if k == "$ref" and v.startswith("#/$defs/") else rewrite(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    schemas = doc["components"]["schemas"]
    old = schemas.get("Run", {})
    run_schema = rewrite({k: v for k, v in run.items() if k not in ("$schema", "$id", "$defs")})
    run_schema["title"] = "Run"
    run_schema["description"] = old.get("description", run.get("description", ""))
    schemas["Run"] = run_schema
    for name, definition in run.get("$defs", {}).items():
        schemas[component_name(name)] = rewrite(definition)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--") and "=" not in a}
    doc = json.load(open(args[0], encoding="utf-8"))
    if "--sync-run-schema" in flags:
        sync_run_schema(doc, argv[argv.index("--sync-run-schema") + 1])
        with open(args[0], "w", encoding="utf-8") as out:
            out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(f"{args[0]}: components.schemas.Run copied from the run document's schema")
        return 0
    if "--document" in flags:
        run_schema = argv[argv.index("--run-schema") + 1] if "--run-schema" in argv else None
        problems = check_document(doc, run_schema)
        for p in problems:
            print(f"openapi: {p}")
        print(f"openapi document: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        return 1 if problems else 0

    answers = [json.loads(line) for line in open(args[1], encoding="utf-8") if line.strip()]
    seen, failed, accepted = set(), 0, 0
    for a in answers:
        problems = check_answer(doc, a, seen)
        label = f"{a['method']} {a['path']} -> {a['status']}"
        if "--expect-each-invalid" in flags:
            if problems:
                print(f"rejected as expected: {label}: {problems[0]}")
            else:
                accepted += 1
                print(f"NOT REJECTED: {label}")
            continue
        for p in problems:
            failed += 1
            print(f"MISMATCH {label}: {p}")
    if "--expect-each-invalid" in flags:
        print(f"{len(answers) - accepted} of {len(answers)} bad answers rejected")
        return 0 if accepted == 0 and answers else 1
    if "--require-all-operations" in flags:
        for template, item in doc["paths"].items():
            for method in item:
                if (template, method.upper()) not in seen:
                    failed += 1
                    print(f"NOT EXERCISED: {method.upper()} {template} never answered 2xx")
    print(f"{len(answers)} answers checked against the OpenAPI document, {failed} problem(s)")
    return 1 if failed or not answers else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
