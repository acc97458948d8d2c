"""Trust policies (aws:SourceAccount), ECR repositories (immutable tags, force delete)
and the image tag scheme (unique per build input) over every graph the stacks make."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dockyard.images import build_tag
from tests.harness import stacks
from tests.harness.tools import REPO

ROLE = "aws:iam/role:Role"
REPOSITORY = "aws:ecr/repository:Repository"
IMAGE = "docker:index/image:Image"


def _graph(stack: str) -> list[dict[str, object]]:
    resources: list[dict[str, object]] = json.loads(stacks.snapshot_path(stack).read_text())[
        "resources"
    ]
    return resources


@pytest.mark.parametrize("stack", stacks.stack_names())
def test_service_trust_policies_name_the_account(stack: str) -> None:
    """Every role an AWS service other than EC2 assumes is limited to the stack's account
    (the caller identity); EC2 instance roles carry no source account (EC2 sends none)."""
    roles = [r for r in _graph(stack) if r["type"] == ROLE]
    assert roles
    for role in roles:
        inputs = role["inputs"]
        assert isinstance(inputs, dict)
        (statement,) = json.loads(inputs["assumeRolePolicy"])["Statement"]
        if statement["Principal"]["Service"] == "ec2.amazonaws.com":
            assert "Condition" not in statement, role["name"]
        else:
            assert statement["Condition"] == {
                "StringEquals": {"aws:SourceAccount": "123456789012"}
            }, role["name"]


@pytest.mark.parametrize("stack", stacks.stack_names())
def test_repositories_immutable_deletable_and_tags_per_build(stack: str) -> None:
    """ECR repositories have immutable tags and are deleted with their images; each image
    is pushed under a build-<digest> tag, never `latest`."""
    graph = _graph(stack)
    repositories = [r for r in graph if r["type"] == REPOSITORY]
    assert repositories
    for repository in repositories:
        inputs = repository["inputs"]
        assert isinstance(inputs, dict)
        assert (inputs["imageTagMutability"], inputs["forceDelete"]) == ("IMMUTABLE", True)
    for image in (r for r in graph if r["type"] == IMAGE):
        inputs = image["inputs"]
        assert isinstance(inputs, dict)
        assert str(inputs["imageName"]).rsplit(":", 1)[1].startswith("build-")


@pytest.fixture
def context(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "containers" / "mysql", tmp_path / "ctx")
    (tmp_path / "ctx" / ".dockerignore").write_text("# notes stay out\nnotes.txt\n")
    return tmp_path / "ctx"


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (lambda c: None, True),
        (lambda c: (c / "notes.txt").write_text("ignored by .dockerignore"), True),
        (lambda c: (c / "dockyard.cnf").write_text("[mysqld]\n"), False),
        (lambda c: (c / "extra.sh").write_text("#!/bin/sh\n"), False),
        (lambda c: (c / "db-healthcheck.sh").chmod(0o644), False),
        # pulumi-docker hashes the full mode (provider.go hashPath: fileMode.String()), so
        # a `chmod g+w` is a change it rebuilds and pushes on: the tag must change too
        (lambda c: (c / "Dockerfile").chmod(0o664), False),
        (lambda c: (c / "db-healthcheck.sh").chmod(0o775), False),
    ],
)
def test_tag_changes_exactly_when_the_build_input_does(
    context: Path, change: object, same: bool
) -> None:
    """The same build inputs give the same tag (pulumi-docker does not push again, so an
    immutable tag is never pushed twice); a changed or added file, or any mode change
    (the provider's context digest covers the full mode), gives a new one; a file
    .dockerignore keeps out changes nothing."""
    dockerfile = context / "Dockerfile"
    before = build_tag(context, dockerfile)
    assert callable(change)
    change(context)
    assert (build_tag(context, dockerfile) == before) is same


def test_tag_covers_target_and_build_args(context: Path) -> None:
    """Another target or build argument is another build, so another tag."""
    dockerfile = context / "Dockerfile"
    tags = {
        build_tag(context, dockerfile),
        build_tag(context, dockerfile, target="x"),
        build_tag(context, dockerfile, build_args={"APP_SRC": "other"}),
    }
    assert len(tags) == 3


def test_repo_root_context_sends_only_the_fio_sources() -> None:
    """The repository-root context (the fio images) leaves out docs and snapshots, so the
    snapshot (which holds the tag) does not depend on itself."""
    dockerfile = REPO / "containers" / "fio" / "Dockerfile"
    tag = build_tag(REPO, dockerfile, project_dir=REPO, target="fiotools-aio")
    dev = (REPO / "snapshots" / "dev.json").read_text()
    assert f":{tag}" in dev
