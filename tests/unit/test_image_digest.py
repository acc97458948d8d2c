"""The image tag and pulumi-docker's context digest as the provider computes them
(pulumi/pulumi-docker provider/provider.go @237b7899: hashContext, hashPath,
getIgnorePatterns), and docker.Image's inputs as the committed stacks give them."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from dockyard.images import (
    build_tag,
    go_file_mode,
    ignore_patterns,
    provider_context_digest,
    read_ignore_file,
)
from tests.harness import docker_image, stacks
from tests.harness.tools import REPO

IMAGE = "docker:index/image:Image"


@pytest.mark.parametrize(
    ("mode", "text"),
    [
        (stat.S_IFREG | 0o644, "-rw-r--r--"),
        (stat.S_IFREG | 0o664, "-rw-rw-r--"),
        (stat.S_IFREG | 0o755, "-rwxr-xr-x"),
        (stat.S_IFLNK | 0o777, "Lrwxrwxrwx"),
        (stat.S_IFDIR | 0o755, "drwxr-xr-x"),
        (stat.S_IFDIR | stat.S_ISVTX | 0o777, "dtrwxrwxrwx"),
        (stat.S_IFREG | stat.S_ISUID | 0o755, "urwxr-xr-x"),
        (stat.S_IFCHR | 0o666, "Dcrw-rw-rw-"),
        (0, "----------"),
    ],
)
def test_file_modes_print_as_go_prints_them(mode: int, text: str) -> None:
    """The mode text hashed per file is Go's fs.FileMode.String() (type letters in Go's
    order, then rwx triplets): the whole mode counts, not only the execute bit."""
    assert go_file_mode(mode) == text


def test_ignore_file_lines_read_as_moby_reads_them() -> None:
    """moby's ignorefile.ReadAll: comments only at the line start, patterns trimmed and
    cleaned, a leading slash dropped, exceptions kept."""
    text = "\ufeff# comment\n  \n /a/b/../c \n!./keep\n  # not a comment\n**/*.pyc\n"
    assert read_ignore_file(text) == ["a/c", "!keep", "# not a comment", "**/*.pyc"]


def test_a_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    """<Dockerfile>.dockerignore is used before the context's .dockerignore."""
    (tmp_path / ".dockerignore").write_text("a\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    assert ignore_patterns(tmp_path, tmp_path / "Dockerfile") == ["a"]
    (tmp_path / "Dockerfile.dockerignore").write_text("b\n")
    assert ignore_patterns(tmp_path, tmp_path / "Dockerfile") == ["b"]


def test_the_digest_follows_the_providers_walk_order(tmp_path: Path) -> None:
    """Files are hashed in fsutil.Walk's order (each directory's entries by name, depth
    first: `a/b` before `a-c`), not in the order of sorted full paths."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b").write_text("1")
    (tmp_path / "a-c").write_text("2")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    first = provider_context_digest(tmp_path, tmp_path / "Dockerfile")
    (tmp_path / "a-c").rename(tmp_path / "a-d")
    assert provider_context_digest(tmp_path, tmp_path / "Dockerfile") != first


def test_the_digest_is_the_same_wherever_the_context_is(tmp_path: Path) -> None:
    """The same files at another path, modes kept: the same digest and the same tag."""
    here = REPO / "containers" / "mysql"
    project = tmp_path / "elsewhere"
    there = project / "containers" / "mysql"
    shutil.copytree(here, there, symlinks=True)
    assert provider_context_digest(here, here / "Dockerfile") == provider_context_digest(
        there, there / "Dockerfile"
    )
    relative = ("containers/mysql", "containers/mysql/Dockerfile")
    assert build_tag(*relative, project_dir=REPO) == build_tag(*relative, project_dir=project)


def test_check_resolves_relative_paths_against_the_working_directory(tmp_path: Path) -> None:
    """As the provider's Check: a relative Dockerfile is found from the working directory
    (the project directory); from elsewhere, or an absolute path that does not exist,
    Check fails as the provider words it."""
    inputs = {"build": {"context": "containers/mysql", "dockerfile": "containers/mysql/Dockerfile"}}
    checked = docker_image.check(inputs, REPO)
    assert checked["build"]["contextDigest"] == provider_context_digest(
        REPO / "containers" / "mysql", REPO / "containers" / "mysql" / "Dockerfile", REPO
    )
    assert (checked["buildOnPreview"], checked["build"]["platform"]) == (False, "linux/amd64")
    with pytest.raises(docker_image.CheckFailure, match="could not open dockerfile at relative"):
        docker_image.check(inputs, tmp_path)
    gone = {"build": {"context": ".", "dockerfile": str(tmp_path / "gone" / "Dockerfile")}}
    with pytest.raises(docker_image.CheckFailure, match="expected a relative Dockerfile path"):
        docker_image.check(gone, tmp_path)


@pytest.mark.parametrize("stack", stacks.stack_names())
def test_image_inputs_hold_no_checkout_path(stack: str) -> None:
    """Every image's context and Dockerfile are relative to the project directory, and
    its tag is build_tag of its own build block (a new tag whenever the block changes)."""
    graph = json.loads(stacks.snapshot_path(stack).read_text())["resources"]
    images = [r for r in graph if r["type"] == IMAGE]
    assert images
    for image in images:
        build = image["inputs"]["build"]
        for key in ("context", "dockerfile"):
            assert not Path(build[key]).is_absolute() and "<repo>" not in build[key], build
        assert (image["inputs"]["skipPush"], image["inputs"]["buildOnPreview"]) == (False, False)
        tag = build_tag(
            build["context"],
            build["dockerfile"],
            project_dir=REPO,
            target=build.get("target"),
            build_args=build.get("args"),
            platform=build["platform"],
        )
        assert image["inputs"]["imageName"].endswith(f":{tag}"), image["name"]
