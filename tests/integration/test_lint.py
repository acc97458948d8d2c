"""Repository-wide static checks with the real tools: ruff, mypy, shellcheck, hadolint.

Files are found from git, so every script and Dockerfile added later is covered.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration


def _tracked() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [REPO / name for name in listing.split("\0") if name and (REPO / name).is_file()]


def _is_shell(path: Path) -> bool:
    if path.suffix == ".sh":
        return True
    with path.open("rb") as handle:
        first = handle.readline()
    return first.startswith(b"#!") and (b"bash" in first or first.rstrip().endswith(b"/sh"))


SHELL_SCRIPTS = sorted(p for p in _tracked() if _is_shell(p))
DOCKERFILES = sorted(p for p in _tracked() if p.name == "Dockerfile")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck(script: Path) -> None:
    """Every shell script in the repo is executable and shellcheck-clean at style severity."""
    assert script.stat().st_mode & 0o111, f"{script} must be executable"
    proc = _run([require_tool("shellcheck"), "--severity=style", "--shell=bash", str(script)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_hadolint(dockerfile: Path) -> None:
    """Every Dockerfile is hadolint-clean (threshold: info)."""
    proc = _run([require_tool("hadolint"), "--failure-threshold", "info", str(dockerfile)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lint_found_the_files() -> None:
    """The discovery above sees the known scripts and images (so the checks cannot be empty)."""
    names = {str(p.relative_to(REPO)) for p in SHELL_SCRIPTS}
    assert {"ansible/run-playbook.sh", "inventory/dockyard-inventory", ".ci/run"} <= names
    assert len(DOCKERFILES) >= 2


@pytest.mark.parametrize(
    "argv",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_python_static_checks(argv: list[str]) -> None:
    """ruff (lint + format) on the repo and mypy --strict on dockyard/ and components/."""
    proc = _run([require_tool(argv[0]), *argv[1:]])
    assert proc.returncode == 0, proc.stdout + proc.stderr
