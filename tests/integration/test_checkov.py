"""checkov (PyPI) over the Dockerfiles, the workflows and every file for secrets, with the
repository's .checkov.yaml: no finding, and every skip names its reason."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.harness.tools import REPO, unavailable

pytestmark = pytest.mark.integration

CHECKOV = "checkov==3.3.30"
"""checkov pins packaging<24 and boto3 1.35, which pulumi 3.27x and awscli cannot share a
venv with (pip would downgrade pulumi), so it gets a venv of its own, made once per
version in the user's cache."""
CONFIG = REPO / ".checkov.yaml"
FRAMEWORKS = {"dockerfile", "github_actions", "secrets"}
CONFIG_SKIP = "Secret scan {} is skipped"
"""checkov's own suppress_comment for a check skipped by the config's skip-check."""
NO_REASON = "No comment provided"
"""checkov's suppress_comment for an inline `checkov:skip=ID` without a reason."""


@pytest.fixture(scope="module")
def checkov() -> str:
    """The checkov command, installed into its own cached venv on first use."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "dockyard-checkov" / CHECKOV.replace("==", "-")
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers install it once
        if not (venv / ".installed").exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = subprocess.run(
                [str(venv / "bin" / "pip"), "install", "--quiet", CHECKOV],
                capture_output=True, text=True, timeout=900, check=False,
            )  # fmt: skip
            if pip.returncode != 0:
                unavailable(f"pip could not install {CHECKOV}: {pip.stderr[-2000:]}")
            (venv / ".installed").touch()
    return str(venv / "bin" / "checkov")


def run_checkov(checkov: str, cwd: Path) -> dict[str, dict[str, Any]]:
    """checkov with .checkov.yaml in `cwd`; its JSON reports by framework."""
    result = subprocess.run(
        [checkov, "--config-file", str(cwd / ".checkov.yaml"), "--output", "json"],
        cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-4000:]
    reports = json.loads(result.stdout)
    return {r["check_type"]: r for r in (reports if isinstance(reports, list) else [reports])}


def describe(check: dict[str, Any]) -> str:
    return (
        f"{check['check_id']} {check['check_name']} {check['file_path']}:{check['file_line_range']}"
    )


def config_skips() -> dict[str, list[str]]:
    """Each `skip-check` entry of .checkov.yaml with the comment lines just above it."""
    skips: dict[str, list[str]] = {}
    comment: list[str] = []
    in_skips = False
    for line in CONFIG.read_text().splitlines():
        stripped = line.strip()
        if not line.startswith(" "):
            in_skips = stripped == "skip-check:"
        elif in_skips and stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif in_skips and stripped.startswith("- "):
            skips[stripped[2:]] = comment
            comment = []
    return skips


def test_every_config_skip_names_its_reason() -> None:
    """Each skip-check entry in .checkov.yaml has a comment saying why it does not apply."""
    skips = config_skips()
    assert skips
    assert all(reason for reason in skips.values()), skips


def test_checkov_finds_nothing_unexplained(checkov: str) -> None:
    """Over the repository: every framework runs, no check fails, and each skipped finding
    is either an inline `checkov:skip=ID: reason` or a commented skip-check of the config."""
    reports = run_checkov(checkov, REPO)
    assert set(reports) == FRAMEWORKS
    assert reports["dockerfile"]["summary"]["passed"] > 0
    assert reports["github_actions"]["summary"]["passed"] > 0
    failed = [describe(c) for r in reports.values() for c in r["results"]["failed_checks"]]
    assert failed == [], "\n".join(failed)
    skipped_by_config = {entry.split(":", 1)[0] for entry in config_skips()}
    for report in reports.values():
        for check in report["results"]["skipped_checks"]:
            reason = (check["check_result"].get("suppress_comment") or "").strip()
            if reason == CONFIG_SKIP.format(check["check_id"]):
                assert check["check_id"] in skipped_by_config, describe(check)
            else:
                assert reason and reason != NO_REASON, f"no reason: {describe(check)}"


def test_checkov_config_still_reports_problems(checkov: str, tmp_path: Path) -> None:
    """The same config over a root-run image, an injectable workflow and an AWS key does
    report each: the skips and paths in .checkov.yaml leave the checks working."""
    shutil.copy(CONFIG, tmp_path / ".checkov.yaml")
    (tmp_path / "Dockerfile").write_text('FROM debian:bookworm-slim\nCMD ["sleep", "1"]\n')
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    # AWS's documented example key, split so that this file holds no key itself
    (tmp_path / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{"AKIA" + "IOSFODNN7EXAMPLE"}"\n')
    reports = run_checkov(checkov, tmp_path)
    failed = {c["check_id"] for r in reports.values() for c in r["results"]["failed_checks"]}
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3", "CKV_GHA_2", "CKV_SECRET_2"} <= failed, failed
