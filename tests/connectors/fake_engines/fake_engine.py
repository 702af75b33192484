#!/usr/bin/python3
"""Start one fake remote engine for connector tests.

  /usr/bin/python3 fake_engine.py ENGINE --port-file PATH [--port N] [--state-file PATH]
                                         [--no-validate] [--no-auth]

ENGINE is airflow | databricks | adf | prefect. Binds 127.0.0.1 (port 0 = any free
port unless --port), writes the port number to --port-file (tmp + rename) once
listening and serves until SIGTERM/SIGINT. See README.md for credentials, targets,
the control API and fault injection.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

sys.dont_write_bytecode = True      # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import FakeServer  # noqa: E402


def engine_class(name: str):
    if name == "airflow":
        from airflow import Airflow
        return Airflow
    if name == "databricks":
        from databricks import Databricks
        return Databricks
    if name == "adf":
        from adf import DataFactory
        return DataFactory
    if name == "prefect":
        from prefect import Prefect
        return Prefect
    raise SystemExit(f"unknown engine {name!r}")


def write_port_file(path: str, port: int) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("engine", choices=("airflow", "databricks", "adf", "prefect"))
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file", help="persist all state here (JSON) after every "
                                             "change and load it at start")
    parser.add_argument("--no-validate", action="store_true",
                        help="skip request/response validation against the specs (faster)")
    parser.add_argument("--no-auth", action="store_true",
                        help="accept requests without credentials (Prefect self-hosted default)")
    options = parser.parse_args(argv)

    server = FakeServer(options.port, engine_class(options.engine), options)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_port_file(options.port_file, server.server_address[1])
    print(f"[fake {options.engine}] listening on 127.0.0.1:{server.server_address[1]}"
          f"{' (no validation)' if options.no_validate else ''}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
