"""The workflows pass actionlint, pin every action by commit SHA, keep prod's token behind
a protected environment and do what the README says; all YAML passes yamllint (.yamllint)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.stacks import stack_names
from tests.harness.tools import REPO, require_tool

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
WORKFLOW = REPO / ".github" / "workflows" / "preview.yml"
PRODUCTION_STACKS = {"prod"}
"""Stacks whose token decrypts production secrets: previewed only behind an environment."""
PROD_ENVIRONMENT = "prod-preview"
PROD_TOKEN = "secrets.PULUMI_PROD_PREVIEW_TOKEN"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
PINNED = re.compile(r"(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})")
TAG_COMMENT = re.compile(r"\s+#\s+(?P<tag>v(?P<major>\d+)\.\d+\.\d+)\s*")


def workflow(path: Path = WORKFLOW) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def triggers(document: dict[Any, Any]) -> dict[str, Any]:
    found = document[True] if True in document else document["on"]  # yaml 1.1 `on`
    assert isinstance(found, dict)
    return found


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def uses_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, reference, rest of the line) of every `uses:` in a workflow's text."""
    return [(n, m["ref"], m["comment"]) for n, line in enumerate(text.splitlines(), 1)
            if (m := USES.match(line))]  # fmt: skip


def unpinned(text: str) -> list[str]:
    """Every `uses:` that is not `owner/repo@<40-hex SHA> # vX.Y.Z`."""
    return [f"line {n}: {ref}{rest}" for n, ref, rest in uses_lines(text)
            if not (PINNED.fullmatch(ref) and TAG_COMMENT.fullmatch(rest))]  # fmt: skip


def by_tag(text: str) -> str:
    """The workflow with each SHA pin replaced by its tag's major version (`@v6`), the form
    actionlint knows the inputs of (it cannot look up inputs for a commit SHA)."""
    lines = text.splitlines(keepends=True)
    for n, ref, rest in uses_lines(text):
        pin, tag = PINNED.fullmatch(ref), TAG_COMMENT.fullmatch(rest)
        assert pin and tag, f"line {n} is not pinned: {ref}{rest}"
        lines[n - 1] = lines[n - 1].replace(f"{ref}{rest}", f"{pin['action']}@v{tag['major']}")
    return "".join(lines)


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("actionlint"), "-no-color", *map(str, files)],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_workflows_pass_actionlint() -> None:
    """actionlint finds nothing in the workflows as committed."""
    assert WORKFLOWS
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_actionlint_with_action_inputs(tmp_path: Path) -> None:
    """actionlint, given each action by its tag, finds no unknown or missing input."""
    copies = []
    for path in WORKFLOWS:
        copy = tmp_path / path.name
        copy.write_text(by_tag(path.read_text()))
        copies.append(copy)
    result = actionlint(*copies)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_bad_input(tmp_path: Path) -> None:
    """The same check rejects a misspelt input of configure-aws-credentials."""
    bad = tmp_path / "bad.yml"
    bad.write_text(by_tag(WORKFLOW.read_text()).replace("role-to-assume:", "role-to-asume:", 1))
    result = actionlint(bad)
    assert result.returncode == 1 and "role-to-asume" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha(path: Path) -> None:
    """Every `uses:` names a 40-hex commit SHA with its release tag in a comment."""
    text = path.read_text()
    assert uses_lines(text)
    assert unpinned(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "      - uses: actions/checkout@v5",
        "      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09",
        "      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c0 # v5.1.0",
        "      - uses: actions/checkout@main # v5.1.0",
        "        uses: docker://alpine:3.20",
    ],
)
def test_pin_check_rejects(line: str) -> None:
    """A tag, a branch, a short or comment-less SHA and an image by tag all fail the check."""
    assert unpinned(f"steps:\n{line}\n") != []


def test_no_workflow_runs_on_pull_request_target() -> None:
    """pull_request_target would run with the base repository's secrets: never used."""
    for path in WORKFLOWS:
        assert "pull_request_target" not in triggers(workflow(path)), path.name


def secrets_named(job: dict[str, Any]) -> set[str]:
    """The `secrets.X` a job's text refers to."""
    return set(re.findall(r"secrets\.[A-Za-z0-9_]+", yaml.safe_dump(job)))


def environment_name(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def test_prod_preview_only_in_its_protected_environment() -> None:
    """prod is previewed by one job, in the prod-preview environment (required reviewers),
    with that environment's own token; no other job names the token or previews prod."""
    jobs = workflow()["jobs"]
    job = jobs["preview-prod"]
    assert environment_name(job) == PROD_ENVIRONMENT
    assert "pull_request" in job["if"] and "head.repo.full_name == github.repository" in job["if"]
    assert "required reviewers" in WORKFLOW.read_text()
    (pulumi,) = steps_using(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"].endswith("/prod")
    assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == f"${{{{ {PROD_TOKEN} }}}}"
    (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert "PROD" in creds["with"]["role-to-assume"]
    for name, other in jobs.items():
        if name != "preview-prod":
            assert PROD_TOKEN not in secrets_named(other), name
            assert environment_name(other) != PROD_ENVIRONMENT, name


def test_jobs_without_protection_use_no_production_secret() -> None:
    """Every job outside prod-preview uses only GITHUB_TOKEN and the dev-only token."""
    allowed = {"secrets.GITHUB_TOKEN", "secrets.PULUMI_DEV_ACCESS_TOKEN"}
    for name, job in workflow()["jobs"].items():
        if environment_name(job) != PROD_ENVIRONMENT:
            assert secrets_named(job) <= allowed, name


def test_preview_jobs_cover_every_stack_production_only_protected() -> None:
    """On pull requests every committed stack is previewed: those without production
    secrets in the automatic matrix, production ones only in the protected job."""
    document = workflow()
    assert "pull_request" in triggers(document)
    automatic = {m["stack"] for m in document["jobs"]["preview"]["strategy"]["matrix"]["include"]}
    assert not automatic & PRODUCTION_STACKS
    assert sorted(automatic | PRODUCTION_STACKS) == stack_names()


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


@pytest.mark.parametrize("name", ["preview", "preview-prod"])
def test_preview_jobs_comment_on_pr_with_oidc(name: str) -> None:
    """On same-repository pull requests: a preview commenting on the PR, with the policy
    pack, AWS credentials from a role via OIDC and no long-lived keys."""
    document = workflow()
    assert triggers(document)["push"]["branches"] == ["main"]
    job = document["jobs"][name]
    assert "pull_request" in job["if"]
    assert job["permissions"]["id-token"] == "write"
    assert job["permissions"]["pull-requests"] == "write"
    (creds,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert "role-to-assume" in creds["with"]
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds["with"])
    (pulumi,) = steps_using(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"


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
