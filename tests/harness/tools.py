"""Finding the real tools a test drives. Under CI a missing tool fails the test."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

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
