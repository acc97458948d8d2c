"""Lint checks specific to the Rails flow (the repo-wide ones are in test_lint.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration

CONTAINERS = REPO / "containers"


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
    from dockyard.ecs_instances import user_data

    script = tmp_path / "user-data.sh"
    script.write_text(user_data("my-prefix-dev"), encoding="utf-8")
    for argv in (
        [require_tool("shellcheck"), "--severity=style", str(script)],
        ["bash", "-n", str(script)],
    ):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
