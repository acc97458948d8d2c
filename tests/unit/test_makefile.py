"""The Makefile, read by GNU make itself: every target resolves (`make -n`), `make help`
lists them, and the Pulumi targets stop before building anything when the CLI is missing."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.harness.tools import REPO, require_tool

TARGETS = ["help", "up", "preview", "destroy", "test", "unit", "lint", "snapshot", "docs"]
PULUMI_TARGETS = ["up", "preview", "destroy"]


def make(*args: str, venv: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    """`make -C REPO ARGS VENV=venv` (a venv that does not exist, so nothing is reused)."""
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [require_tool("make"), "--no-print-directory", "-C", str(REPO), *args, f"VENV={venv}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("target", "commands"),
    [
        ("help", ["sed -n"]),
        ("up", ["pulumi stack select --create mine", "pulumi up --stack mine"]),
        ("preview", ["pulumi preview --diff --stack mine"]),
        ("destroy", ["pulumi destroy --stack mine"]),
        ("test", ["bash scripts/install-system-deps.sh", "/bin/python -m pytest"]),
        ("unit", ["/bin/python -m pytest -n 2 tests/unit"]),
        ("lint", ["/bin/ruff check .", "/bin/ruff format --check .", "/bin/mypy"]),
        ("snapshot", ["/bin/python scripts/snapshot.py"]),
        ("docs", ["/bin/python scripts/config_docs.py"]),
    ],
)
def test_every_target_resolves(target: str, commands: list[str], tmp_path: Path) -> None:
    """`make -n TARGET` succeeds and would run the target's own commands."""
    proc = make("-n", target, venv=tmp_path / "venv")
    assert proc.returncode == 0, proc.stderr
    for command in commands:
        assert command in proc.stdout, proc.stdout
    assert not (tmp_path / "venv").exists()


def test_stack_variable_picks_the_stack(tmp_path: Path) -> None:
    """STACK=prod reaches the pulumi commands."""
    proc = make("-n", "preview", "STACK=prod", venv=tmp_path / "venv")
    assert "pulumi preview --diff --stack prod" in proc.stdout, proc.stdout + proc.stderr


def test_help_lists_every_target(tmp_path: Path) -> None:
    """`make help` lists exactly the documented targets, each with a description."""
    proc = make("help", venv=tmp_path / "venv")
    assert proc.returncode == 0, proc.stderr
    listed = re.findall(r"^([a-z-]+) +\S", proc.stdout, re.MULTILINE)
    assert sorted(listed) == sorted(TARGETS), proc.stdout
    assert "STACK=mine" in proc.stdout


@pytest.mark.parametrize("target", PULUMI_TARGETS)
def test_pulumi_targets_check_the_cli_first(target: str, tmp_path: Path) -> None:
    """Without `pulumi` on PATH the target exits 2 before building the venv, and says what a
    deploy needs (the CLI, `pulumi login`, AWS credentials) and that `make snapshot` works
    offline."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    path = os.pathsep.join(d for d in dirs if d and not (Path(d) / "pulumi").exists())
    proc = make(target, venv=tmp_path / "venv", path=path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert not (tmp_path / "venv").exists(), "the venv was built before the check"
    assert f"make {target}: the Pulumi CLI is not on PATH" in proc.stderr
    for needed in ("https://www.pulumi.com/docs/install/", "`pulumi login`", "AWS credentials"):
        assert needed in proc.stderr
    assert "`make snapshot` previews offline" in proc.stderr


def test_dry_run_orders_the_cli_check_before_the_venv(tmp_path: Path) -> None:
    """In `make -n up` the Pulumi check comes before the first venv command."""
    lines = make("-n", "up", venv=tmp_path / "venv").stdout.splitlines()
    check = next(i for i, line in enumerate(lines) if "command -v pulumi" in line)
    venv = next(i for i, line in enumerate(lines) if "-m venv" in line)
    assert check < venv
