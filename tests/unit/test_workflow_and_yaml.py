"""The preview workflow passes actionlint and does what the README says; all YAML passes
yamllint (.yamllint)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.harness.stacks import stack_names
from tests.harness.tools import REPO, require_tool

WORKFLOW = REPO / ".github" / "workflows" / "preview.yml"


def workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(document, dict)
    return document


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def test_workflows_pass_actionlint() -> None:
    """actionlint (with its knowledge of the used actions' inputs) finds nothing."""
    actionlint = require_tool("actionlint")
    files = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.y*ml"))
    assert files
    result = subprocess.run(
        [actionlint, "-no-color", *files], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_bad_input(tmp_path: Path) -> None:
    """The same actionlint rejects a misspelt input of configure-aws-credentials."""
    actionlint = require_tool("actionlint")
    bad = tmp_path / "bad.yml"
    text = WORKFLOW.read_text().replace("role-to-assume:", "role-to-asume:", 1)
    bad.write_text(text)
    result = subprocess.run(
        [actionlint, "-no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "role-to-asume" in result.stdout


def test_all_yaml_passes_yamllint() -> None:
    """yamllint with the repository's .yamllint over every YAML file (venvs excluded)."""
    yamllint = require_tool("yamllint")
    result = subprocess.run(
        [yamllint, "-f", "parsable", "--strict", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_preview_job_per_stack_comments_on_pr_with_oidc() -> None:
    """On pull requests: one preview job per committed stack, commenting on the PR, with
    the policy pack, AWS credentials from a role via OIDC and no long-lived keys."""
    document = workflow()
    triggers = document[True] if True in document else document["on"]  # yaml 1.1 `on`
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    job = document["jobs"]["preview"]
    assert "pull_request" in job["if"]
    assert job["permissions"]["id-token"] == "write"
    assert job["permissions"]["pull-requests"] == "write"
    assert sorted(m["stack"] for m in job["strategy"]["matrix"]["include"]) == stack_names()
    (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert "role-to-assume" in creds["with"]
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds["with"])
    (pulumi,) = steps_using(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["stack-name"].endswith("/${{ matrix.stack }}")


def test_up_on_main_for_dev_only() -> None:
    """A push to main runs `up` on dev (and nothing else), with OIDC credentials."""
    job = workflow()["jobs"]["up-dev"]
    assert "refs/heads/main" in job["if"] and "push" in job["if"]
    assert job["permissions"]["id-token"] == "write"
    (pulumi,) = steps_using(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "up"
    assert pulumi["with"]["stack-name"].endswith("/dev")
    (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert "role-to-assume" in creds["with"]


def test_offline_snapshot_job_runs_make_snapshot() -> None:
    """The credential-free job (forks too) regenerates snapshots and fails on a diff."""
    job = workflow()["jobs"]["snapshot"]
    assert "if" not in job and "permissions" not in job
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "make snapshot" in runs and "git diff --exit-code -- snapshots/" in runs
