"""What `docker-machine env` printed, from a stack's outputs: pure functions over the JSON.

`dockyard docker-env` (dockyard/commands/docker_env.py) reads the outputs
(dockyard/stack_outputs.py), writes the files `cert_files` names and prints `exports`.
Its output is meant for `eval`, so every name is checked (dockyard.hosts.machines.ENV_NAME, the
host name pattern) and every value shell-quoted.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dockyard.errors import UsageError
from dockyard.files import FileSpec
from dockyard.hosts.machines import Machine
from dockyard.stack_outputs import PIPE

CERT_FILES = (
    ("caPem", "ca.pem", 0o644),
    ("certPem", "cert.pem", 0o644),
    ("keyPem", "key.pem", 0o600),
)


def cert_files(outputs: Mapping[str, Any], cert_dir: Path) -> list[FileSpec]:
    tls = outputs.get("dockerTls")
    if not isinstance(tls, dict) or not all(isinstance(tls.get(k), str) for k, _, _ in CERT_FILES):
        raise UsageError(
            "dockerTls is missing or hidden: use `pulumi stack output --json --show-secrets`"
        )
    return [FileSpec(cert_dir / name, tls[key], mode) for key, name, mode in CERT_FILES]


def exports(machine: Machine, cert_dir: Path) -> str:
    """The `export` lines (names checked by dockyard.hosts.machines, values quoted) and a comment
    naming the host (its name checked, and quoted too)."""
    env = dict(machine.docker_env)
    if "DOCKER_HOST" not in env:
        raise UsageError(f"host {machine.name} has no dockerEnv in the stack output")
    env["DOCKER_CERT_PATH"] = str(cert_dir)
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    lines.append(f'# {shlex.quote(machine.name)}: eval "$({PIPE} | dockyard docker-env)"')
    return "\n".join(lines) + "\n"
