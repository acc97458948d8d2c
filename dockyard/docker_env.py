"""What `docker-machine env` printed, from a stack's outputs: pure functions over the JSON.

`dockyard docker-env` (dockyard/commands/docker_env.py) reads the outputs from stdin,
writes the files `cert_files` names and prints `exports`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dockyard.errors import UsageError
from dockyard.files import FileSpec

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
