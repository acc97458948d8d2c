"""The Rails flow's Dockerfiles and shell scripts pass hadolint and shellcheck."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration

CONTAINERS = REPO / "containers"


@pytest.mark.parametrize("dockerfile", ["rails/Dockerfile", "mysql/Dockerfile"])
def test_hadolint_clean(dockerfile: str) -> None:
    """hadolint reports nothing (not even info) for the image's Dockerfile."""
    proc = subprocess.run(
        [require_tool("hadolint"), "--failure-threshold", "info", str(CONTAINERS / dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "script",
    ["rails/docker-entrypoint.sh", "mysql/docker-entrypoint.sh", "mysql/db-healthcheck.sh"],
)
def test_shellcheck_clean(script: str) -> None:
    """shellcheck (all optional checks' default severity: style) finds nothing in the script."""
    path: Path = CONTAINERS / script
    assert path.stat().st_mode & 0o111, f"{script} must be executable"
    proc = subprocess.run(
        [require_tool("shellcheck"), "--severity=style", "--shell=bash", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    """The check can fail: `cd` in RUN and an unpinned, unconfirmed apt-get are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm-slim\nRUN cd /tmp && apt-get install curl\n")
    proc = subprocess.run(
        [require_tool("hadolint"), "--failure-threshold", "info", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0


def test_ecs_instance_user_data_shellcheck_clean(tmp_path: Path) -> None:
    """The EC2 capacity's user data script passes shellcheck and `bash -n`."""
    from dockyard.rails_ecs import ecs_instance_user_data

    script = tmp_path / "user-data.sh"
    script.write_text(ecs_instance_user_data("my-prefix-dev"), encoding="utf-8")
    for argv in (
        [require_tool("shellcheck"), "--severity=style", str(script)],
        ["bash", "-n", str(script)],
    ):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
