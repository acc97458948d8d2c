"""`dockyard docker-env`: what `docker-machine env` printed, from the stack's outputs.

    eval "$(pulumi stack output --json --show-secrets | dockyard docker-env)"

Writes the client certificates (`dockerTls`) into a directory (the key 0600, all or
nothing) and prints the `export` lines of one host's `dockerEnv`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dockyard.commands import Subparsers
from dockyard.docker_env import PIPE, cert_files, exports, select_host
from dockyard.errors import UsageError
from dockyard.files import write_files


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "docker-env",
        help="docker-machine env for a host, from `pulumi stack output --json --show-secrets`",
        description=(
            "Read the stack's outputs (JSON) on stdin, write the Docker client certificates "
            "into a directory and print the export lines, as `docker-machine env` did."
        ),
    )
    parser.add_argument("--host", help="host name or index (default: the control host)")
    parser.add_argument(
        "--cert-dir",
        help="where to write ca.pem, cert.pem, key.pem (default ~/.docker/dockyard/HOST)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        raise UsageError(f"pipe the stack outputs in: {PIPE}")
    try:
        outputs = json.load(sys.stdin)
    except json.JSONDecodeError as err:
        raise UsageError(f"stdin is not JSON (line {err.lineno}, column {err.colno})") from None
    if not isinstance(outputs, dict):
        raise UsageError("stdin is not a JSON object of stack outputs")
    host = select_host(outputs, args.host)
    cert_dir = Path(args.cert_dir or Path.home() / ".docker" / "dockyard" / str(host.get("name")))
    text = exports(host, cert_dir.resolve())
    files = cert_files(outputs, cert_dir)
    cert_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_files(files)
    sys.stdout.write(text)
    return 0
