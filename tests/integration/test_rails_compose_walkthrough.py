"""docs/rails.md's local walk-through, run as written with podman-compose and podman.

The first shell block of "Run it locally" (secrets, `up -d`, the wait for /health, the
requests) runs in a copy of containers/; the stop block's `down` keeps the data volume,
its `down -v` deletes it. Only `podman` on PATH is a wrapper, adding the test session's
private storage to the real podman's arguments.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.harness.podman import Podman
from tests.harness.tools import REPO, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

DOC = REPO / "docs" / "rails.md"
VOLUME = "dockyard-rails_appdb-data"


def walkthrough_blocks() -> list[str]:
    """The shell blocks of the "Run it locally" section, in order."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Run it locally", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def shell_env(podman: Podman, tmp_path: Path) -> Iterator[dict[str, str]]:
    """PATH with podman-compose and a `podman` that uses the session's storage."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "podman"
    argv = podman.argv()
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.join(argv)} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    compose = Path(require_tool("podman-compose"))
    env = dict(podman.env)
    env["PATH"] = f"{bin_dir}:{compose.parent}:{env.get('PATH', os.defpath)}"
    yield env
    subprocess.run(
        ["podman-compose", "down", "-v"],
        cwd=tmp_path / "containers",
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )


def bash(script: str, cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, f"{script}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def volume_exists(podman: Podman) -> bool:
    return podman.run("volume", "exists", VOLUME, check=False).returncode == 0


def test_walkthrough_waits_for_health_then_stops(
    podman: Podman, shell_env: dict[str, str], tmp_path: Path
) -> None:
    """The walk-through's requests succeed after its wait for /health; `down` keeps the
    database's volume and `down -v` deletes it."""
    require_tool("curl")
    shutil.copytree(
        REPO / "containers", tmp_path / "containers", ignore=shutil.ignore_patterns("secrets")
    )
    # `up` builds only missing images: a cached store could hold an older build.
    compose = yaml.safe_load((REPO / "containers" / "compose.yaml").read_text(encoding="utf-8"))
    podman.run("rmi", "-f", *(svc["image"] for svc in compose["services"].values()), check=False)
    start, stop = walkthrough_blocks()
    try:
        out = bash(start, tmp_path, shell_env)
    except AssertionError as err:
        states = podman.run("ps", "-a", "--format", "{{.Names}} {{.Status}}", check=False)
        app = podman.run("logs", "dockyard-rails_app_1", check=False)
        raise AssertionError(
            f"{err}\n{states.stdout}\napp logs:\n{app.stdout}{app.stderr}"
        ) from None
    assert '"status":"ok"' in out, out
    assert '"body":"hello"' in out, out

    down, down_v = [line.split("#")[0].strip() for line in stop.strip().splitlines()]
    assert (down, down_v) == ("podman-compose down", "podman-compose down -v")
    bash(down, tmp_path / "containers", shell_env)
    assert volume_exists(podman), "`down` must keep the data"
    bash(down_v, tmp_path / "containers", shell_env)
    assert not volume_exists(podman), "`down -v` deletes the data"
