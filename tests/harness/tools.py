"""Finding the real tools a test drives. Under CI a missing tool fails the test."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from dockyard.errors import EXIT_BAD_INPUT

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI, where `make test` must have installed everything."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every tool must be installed by .ci/run)")
    pytest.skip(reason)


def require_tool(name: str) -> str:
    """Absolute path of a command, looked up in the venv first, then PATH."""
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed (run `make test`, which installs it)")
    assert found is not None
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def require_root() -> None:
    """Network namespaces, podman and dockerd need root here."""
    if os.geteuid() != 0:
        unavailable("this test needs root (network namespaces, podman, dockerd)")


def run_dockyard(
    argv: Sequence[str], stdin: str, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """`python -m dockyard ARGV` as a user runs it, in `cwd`, with `stdin` piped in."""
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(env),
        timeout=60,
        check=False,
    )


def dockyard_fed(
    outputs: object, *argv: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The installed `dockyard ARGV` with `outputs` (stack outputs, as `pulumi stack output
    --json` prints them) piped in; `env` is added to this process's environment."""
    return subprocess.run(
        [str(VENV_BIN / "dockyard"), *argv],
        input=json.dumps(outputs),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_bad_input(proc: subprocess.CompletedProcess[str], words: str) -> None:
    """Bad input as dockyard reports it: exit 2, one `dockyard: ...` line on stderr saying
    `words`, no traceback, nothing on stdout."""
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dockyard: ") and words in lines[0], proc.stderr
    assert proc.stdout == ""
