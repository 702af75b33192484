#!/usr/bin/python3
"""Cut the official engine API descriptions down to what the connector fakes serve.

Reads the verbatim spec copies (default /work/shared/specs, see its README.md) and
writes one self-contained JSON file per engine next to this script:

  airflow_v1.json  airflow_v2.json  databricks_jobs_2.1.json  adf_2018-06-01.json  prefect.json

Each file keeps only the listed operations (method + path exactly as in the source,
with their path-level parameters) and every component they reach through `$ref`,
at the same JSON pointer as in the source, so the refs resolve inside the file.
Refs into other files (ADF entityTypes/*.json, the Airflow auth-manager spec) are
pulled in under `definitions` / `components` of the output; a name that clashes
with a different object gets the prefix `<source key>__`.

Nothing in the copied part is edited, except that `x-ms-examples` (refs to example
files that are not vendored) is dropped. Everything we add or change lives in the
top-level `x-jobhost-additions` object (see overlays.py); spec.py applies it at load.

Usage: /usr/bin/python3 extract_specs.py [--source DIR] [--out DIR] [--check]
  --check  regenerate in memory and fail if a committed file differs.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import sys

import yaml

sys.dont_write_bytecode = True      # keep __pycache__ out of the source tree
import overlays  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# Provenance copied from /work/shared/specs/README.md.
PROVENANCE = {
    "airflow/v1.yaml": {
        "repository": "https://github.com/apache/airflow-client-python",
        "path": "spec/v1.yaml",
        "ref": "tag 2.10.0",
        "commit": "f06831c6dd9f848ed499a91becfec95f841f9156",
        "license": "Apache-2.0",
        "note": "Airflow 2.10 stable REST API, copied into the official Python client by its "
                "release process (keys re-sorted, content as upstream "
                "airflow/api_connexion/openapi/v1.yaml).",
    },
    "airflow/v2.yaml": {
        "repository": "https://github.com/apache/airflow-client-python",
        "path": "spec/v2.yaml",
        "ref": "tag 3.2.1",
        "commit": "6c76b5d2c5b0b7038537127f32c09075cd0ac177",
        "license": "Apache-2.0",
        "note": "Airflow 3.2.1 public REST API (paths already carry /api/v2).",
    },
    "airflow/v2-simple-auth-manager-generated.yaml": {
        "repository": "https://github.com/apache/airflow",
        "path": "airflow-core/src/airflow/api_fastapi/auth/managers/simple/openapi/"
                "v2-simple-auth-manager-generated.yaml",
        "commit": "4b9f215e325d05d9ee491934c711772c22bd0960",
        "license": "Apache-2.0",
        "note": "POST /auth/token is served by the auth manager, not part of v2.yaml. "
                "Line endings normalised to LF.",
    },
    "databricks/jobs-2.1-aws.yaml": {
        "repository": "https://github.com/PrefectHQ/prefect",
        "path": "src/integrations/prefect-databricks/prefect_databricks/schemas/original/"
                "jobs-2.1-aws.yaml",
        "commit": "d3bcc1cefbe61ca428d04284dce5e35689703026",
        "license": "Apache-2.0 (repository); the spec text is Databricks' published "
                   "'Jobs API 2.1' OpenAPI (docs.databricks.com), (c) Databricks",
        "note": "Late-2022 public Jobs API 2.1 description; predates run `status`, `run_if`, "
                "`queue`, `environments`, job parameters and newer result states.",
    },
    "azure-data-factory/2018-06-01/datafactory.json": {
        "repository": "https://github.com/Azure/azure-rest-api-specs",
        "path": "specification/datafactory/resource-manager/Microsoft.DataFactory/stable/"
                "2018-06-01/datafactory.json",
        "ref": "read from the unmodified mirror check-spelling-sandbox/azure-rest-api-specs, "
               "branch main (upstream merge #29673, 2024-07-08)",
        "commit": "a977c730fda43ab19c05373b32c7159d6f265e9a",
        "license": "MIT (Copyright (c) Microsoft Corporation)",
    },
    "azure-data-factory/2018-06-01/entityTypes/Pipeline.json": {
        "repository": "https://github.com/Azure/azure-rest-api-specs",
        "path": "specification/datafactory/resource-manager/Microsoft.DataFactory/stable/"
                "2018-06-01/entityTypes/Pipeline.json",
        "commit": "a977c730fda43ab19c05373b32c7159d6f265e9a",
        "license": "MIT (Copyright (c) Microsoft Corporation)",
    },
    "prefect/server-openapi-schema.json": {
        "repository": "https://github.com/PrefectHQ/prefect",
        "path": "docs/v3/api-ref/rest-api/server/schema.json",
        "ref": "HEAD 3.8.4.dev6 (file last changed 502c9935c57fb5bdc41d53bc20d1cd1fd051346e)",
        "commit": "ce79dd3d6cfa2b7337265498210dbc4d25bcdc98",
        "license": "Apache-2.0",
        "note": "OSS server schema; paths have no /api prefix (the server mounts them at /api).",
    },
}

ADF_FACTORY = ("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
               "/providers/Microsoft.DataFactory/factories/{factoryName}")

# output file -> sources (key -> path under the source dir) and operations (key, method, path).
ENGINES = {
    "airflow_v1.json": {
        "sources": {"v1": "airflow/v1.yaml"},
        "operations": [
            ("v1", "get", "/health"),
            ("v1", "get", "/dags/{dag_id}"),
            ("v1", "patch", "/dags/{dag_id}"),  # unpause a DAG (paused at creation by default)
            ("v1", "post", "/dags/{dag_id}/dagRuns"),
            ("v1", "get", "/dags/{dag_id}/dagRuns/{dag_run_id}"),
            ("v1", "patch", "/dags/{dag_id}/dagRuns/{dag_run_id}"),
            ("v1", "get", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"),
        ],
    },
    "airflow_v2.json": {
        "sources": {"v2": "airflow/v2.yaml",
                    "auth": "airflow/v2-simple-auth-manager-generated.yaml"},
        "operations": [
            ("v2", "get", "/api/v2/monitor/health"),
            ("v2", "get", "/api/v2/dags/{dag_id}"),
            ("v2", "patch", "/api/v2/dags/{dag_id}"),  # unpause
            ("v2", "post", "/api/v2/dags/{dag_id}/dagRuns"),
            ("v2", "get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}"),
            ("v2", "patch", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}"),
            ("v2", "get", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"),
            # Last, so that v2.yaml keeps the plain names of shared schemas.
            ("auth", "post", "/auth/token"),
        ],
    },
    "databricks_jobs_2.1.json": {
        "sources": {"jobs": "databricks/jobs-2.1-aws.yaml"},
        "operations": [
            ("jobs", "get", "/2.1/jobs/get"),
            ("jobs", "get", "/2.1/jobs/list"),
            ("jobs", "post", "/2.1/jobs/run-now"),
            ("jobs", "post", "/2.1/jobs/runs/submit"),
            ("jobs", "get", "/2.1/jobs/runs/get"),
            ("jobs", "get", "/2.1/jobs/runs/get-output"),
            ("jobs", "post", "/2.1/jobs/runs/cancel"),
        ],
    },
    "adf_2018-06-01.json": {
        "sources": {"adf": "azure-data-factory/2018-06-01/datafactory.json"},
        "operations": [
            ("adf", "get", ADF_FACTORY),
            ("adf", "get", ADF_FACTORY + "/pipelines/{pipelineName}"),
            ("adf", "post", ADF_FACTORY + "/pipelines/{pipelineName}/createRun"),
            ("adf", "get", ADF_FACTORY + "/pipelineruns/{runId}"),
            ("adf", "post", ADF_FACTORY + "/pipelineruns/{runId}/cancel"),
            ("adf", "post", ADF_FACTORY + "/pipelineruns/{runId}/queryActivityruns"),
            ("adf", "post", ADF_FACTORY + "/queryPipelineRuns"),
        ],
    },
    "prefect.json": {
        "sources": {"prefect": "prefect/server-openapi-schema.json"},
        "operations": [
            ("prefect", "get", "/health"),
            ("prefect", "get", "/deployments/name/{flow_name}/{deployment_name}"),
            ("prefect", "get", "/deployments/{id}"),
            ("prefect", "post", "/deployments/{id}/create_flow_run"),
            ("prefect", "get", "/flow_runs/{id}"),
            ("prefect", "post", "/flow_runs/{id}/set_state"),
        ],
    },
}

# Top-level keys copied from the main (first) source as they are.
HEADER_KEYS = ("openapi", "swagger", "info", "servers", "host", "basePath", "schemes",
               "consumes", "produces", "security", "securityDefinitions")
DROPPED_KEYS = ("x-ms-examples",)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load_document(path: str):
    with open(path, encoding="utf-8") as f:
        if path.endswith((".yaml", ".yml")):
            return yaml.safe_load(f)
        return json.load(f)


def pointer_get(doc, pointer: str):
    node = doc
    for token in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def pointer_set(doc, pointer: str, value) -> None:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]
    node = doc
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
    node[tokens[-1]] = value


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Bundler:
    """Copies operations and everything they $ref into one document."""

    def __init__(self, source_dir: str, sources: dict[str, str]):
        self.source_dir = source_dir
        self.main_key = next(iter(sources))
        # absolute file path -> (source key, document)
        self.files: dict[str, tuple[str, object]] = {}
        for key, rel in sources.items():
            path = os.path.normpath(os.path.join(source_dir, rel))
            self.files[path] = (key, load_document(path))
        self.main_path = os.path.normpath(os.path.join(source_dir, sources[self.main_key]))
        self.out: dict = {}
        # (file, pointer) -> local pointer; local pointer -> (file, pointer)
        self.local_of: dict[tuple[str, str], str] = {}
        self.owner_of: dict[str, tuple[str, str]] = {}
        self.pending: list[tuple[str, str]] = []

    def document(self, path: str):
        if path not in self.files:
            rel = os.path.relpath(path, self.source_dir)
            self.files[path] = (os.path.splitext(os.path.basename(rel))[0], load_document(path))
        return self.files[path][1]

    def local_pointer(self, path: str, pointer: str) -> str:
        """Where (path, pointer) lives in the output; schedules its copy."""
        key = (path, pointer)
        if key in self.local_of:
            return self.local_of[key]
        candidate = pointer
        owner = self.owner_of.get(candidate)
        if owner is not None and owner != key and not self.equivalent(owner, key, set()):
            parts = pointer.rsplit("/", 1)
            candidate = parts[0] + "/" + escape(self.files[path][0] + "__") + parts[1]
        self.local_of[key] = candidate
        if candidate not in self.owner_of:
            self.owner_of[candidate] = key
            self.pending.append(key)
        return candidate

    def resolve(self, path: str, ref: str) -> tuple[str, str]:
        file_part, _, fragment = ref.partition("#")
        target = path if not file_part else os.path.normpath(
            os.path.join(os.path.dirname(path), file_part))
        return target, fragment

    def equivalent(self, a: tuple[str, str], b: tuple[str, str], seen: set) -> bool:
        """Same object in two files: equal text and equivalent $ref targets, recursively."""
        if a == b or (a, b) in seen:
            return True
        seen.add((a, b))

        def same(x, y) -> bool:
            if isinstance(x, dict) and isinstance(y, dict):
                if x.keys() != y.keys():
                    return False
                for k in x:
                    if k == "$ref" and isinstance(x[k], str) and isinstance(y[k], str):
                        if not self.equivalent(self.resolve(a[0], x[k]),
                                               self.resolve(b[0], y[k]), seen):
                            return False
                    elif not same(x[k], y[k]):
                        return False
                return True
            if isinstance(x, list) and isinstance(y, list):
                return len(x) == len(y) and all(same(i, j) for i, j in zip(x, y))
            return x == y

        return same(pointer_get(self.document(a[0]), a[1]),
                    pointer_get(self.document(b[0]), b[1]))

    def rewrite(self, node, path: str):
        """Deep copy of node with every $ref made local to the output document."""
        if isinstance(node, dict):
            result = {}
            for k, v in node.items():
                if k in DROPPED_KEYS:
                    continue
                if k == "$ref" and isinstance(v, str):
                    result[k] = "#" + self.local_pointer(*self.resolve(path, v))
                else:
                    result[k] = self.rewrite(v, path)
            return result
        if isinstance(node, list):
            return [self.rewrite(v, path) for v in node]
        return copy.deepcopy(node)

    def add_operation(self, key: str, method: str, op_path: str) -> None:
        path = next(p for p, (k, _) in self.files.items() if k == key)
        item = self.document(path)["paths"][op_path]
        if method not in item:
            raise SystemExit(f"{key}: {method.upper()} {op_path} not in the source spec")
        out_item = self.out.setdefault("paths", {}).setdefault(op_path, {})
        for k, v in item.items():
            if k == method or (k not in HTTP_METHODS and k not in DROPPED_KEYS):
                out_item[k] = self.rewrite(v, path)

    def finish(self) -> dict:
        while self.pending:
            path, pointer = self.pending.pop(0)
            node = pointer_get(self.document(path), pointer)
            pointer_set(self.out, self.local_of[(path, pointer)], self.rewrite(node, path))
        return self.out


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def extract(source_dir: str, name: str, config: dict) -> dict:
    bundler = Bundler(source_dir, config["sources"])
    main = bundler.document(bundler.main_path)
    header = {k: copy.deepcopy(main[k]) for k in HEADER_KEYS if k in main}
    schemes = main.get("components", {}).get("securitySchemes")
    for key, method, op_path in config["operations"]:
        bundler.add_operation(key, method, op_path)
    body = bundler.finish()
    if schemes is not None:
        body.setdefault("components", {})["securitySchemes"] = copy.deepcopy(schemes)

    provenance = []
    for path in bundler.files:
        rel = os.path.relpath(path, source_dir)
        entry = dict(PROVENANCE.get(rel, {"note": "no provenance entry; add one"}))
        entry["source_file"] = rel
        entry["source_sha256"] = sha256(path)
        provenance.append(entry)

    doc = dict(header)
    doc["x-provenance"] = {
        "$comment": "Subset of the official API description(s) below, cut by "
                    "tests/connectors/specs/extract_specs.py. Copied objects are verbatim "
                    "except that x-ms-examples is dropped; additions are in "
                    "x-jobhost-additions only.",
        "operations": [f"{m.upper()} {p}" for _, m, p in config["operations"]],
        "sources": provenance,
    }
    # Key order: header, provenance, paths, the components, then our additions.
    doc["paths"] = body.pop("paths")
    doc.update(body)
    doc["x-jobhost-additions"] = overlays.ADDITIONS[name]
    check_refs(doc, name)
    return doc


def check_refs(doc: dict, name: str) -> None:
    """Every $ref (including those in the additions) must resolve inside the file."""
    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith("#"):
                    raise SystemExit(f"{name}: external $ref left: {ref}")
                try:
                    pointer_get(doc, ref[1:])
                except (KeyError, IndexError):
                    # The additions may add schemas; look there too.
                    if not any(p.get("path") == ref[1:] for p in
                               doc["x-jobhost-additions"].get("patches", [])):
                        raise SystemExit(f"{name}: unresolved $ref {ref}")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)


def serialise(doc: dict) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default="/work/shared/specs")
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    stale = []
    for name, config in ENGINES.items():
        text = serialise(extract(args.source, name, config))
        target = os.path.join(args.out, name)
        if args.check:
            try:
                with open(target, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
            continue
        tmp = target + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
        print(f"wrote {target} ({len(text)} bytes)")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
