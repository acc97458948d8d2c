"""`dockyard docker-env`: what `docker-machine env` printed, from the stack's outputs.

    eval "$(pulumi stack output --json --show-secrets | dockyard docker-env)"

Writes the client certificates (`dockerTls`) into a directory (the key 0600, all or
nothing) and prints the `export` lines of one host's `dockerEnv`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dockyard.cli import UsageError
from dockyard.files import FileSpec, write_files

PIPE = "pulumi stack output --json --show-secrets | dockyard docker-env"
CERT_FILES = (
    ("caPem", "ca.pem", 0o644),
    ("certPem", "cert.pem", 0o644),
    ("keyPem", "key.pem", 0o600),
)


def select_host(outputs: Mapping[str, Any], host: str | None) -> Mapping[str, Any]:
    """The host named `host` (name or index), else the control host."""
    hosts = outputs.get("hosts")
    if not isinstance(hosts, list) or not hosts:
        raise UsageError(
            "the stack output has no hosts: pipe `pulumi stack output --json --show-secrets` "
            "of a stack with dockerHosts on"
        )
    chosen: Mapping[str, Any] | None = None
    if host is None:
        chosen = next((h for h in hosts if h.get("role") == "control"), hosts[0])
    for index, entry in enumerate(hosts):
        if chosen is None and host in (entry.get("name"), str(index)):
            chosen = entry
    if chosen is not None:
        return chosen
    names = ", ".join(str(h.get("name")) for h in hosts)
    raise UsageError(f"no host {host!r} in the stack: pick one of {names}")


def cert_files(outputs: Mapping[str, Any], cert_dir: Path) -> list[FileSpec]:
    tls = outputs.get("dockerTls")
    if not isinstance(tls, dict) or not all(isinstance(tls.get(k), str) for k, _, _ in CERT_FILES):
        raise UsageError(
            "dockerTls is missing or hidden: use `pulumi stack output --json --show-secrets`"
        )
    return [FileSpec(cert_dir / name, tls[key], mode) for key, name, mode in CERT_FILES]


def exports(host: Mapping[str, Any], cert_dir: Path) -> str:
    env = dict(host.get("dockerEnv") or {})
    if "DOCKER_HOST" not in env:
        raise UsageError(f"host {host.get('name')} has no dockerEnv in the stack output")
    env["DOCKER_CERT_PATH"] = str(cert_dir)
    lines = [f"export {key}={shlex.quote(str(value))}" for key, value in sorted(env.items())]
    lines.append(f'# {host.get("name")}: eval "$({PIPE})"')
    return "\n".join(lines) + "\n"


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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
