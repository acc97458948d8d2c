"""Day 2 of the images (issue 19, items 1-2): what a preview after an `up` shows, from
this checkout and from another one, and what a change to an image's files does.

Each scenario evaluates an `up` (against an empty state, or the last up's), then a
preview against the state it left, with the mocks answering as the engine does
(RecordingMocks.state: an unchanged resource keeps its outputs; a created, updated or
replaced one has unknown computed outputs in a preview) and docker.Image checked and
diffed as pulumi-docker does (tests/harness/docker_image.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.checkout import copy_project, evaluate_in, preview_from
from tests.harness.pulumi_program import EMPTY_STATE
from tests.harness.stacks import document, evaluate_stack, stack_names
from tests.harness.update_plan import REPLACE, UPDATE, plan

IMAGE = "docker:index/image:Image"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
DB_USERS = {"rails-db", "rails-db-import"}
"""The task definitions that run the database image (the dump loader runs its client)."""


@pytest.mark.parametrize("stack", stack_names())
def test_a_preview_after_an_up_shows_no_change(stack: str) -> None:
    """`pulumi up`, then `pulumi preview` with nothing changed: no step at all (it showed
    every image updated, the four task definitions replaced and their services updated,
    because skip_push was true in the preview only and the image's digest was unknown)."""
    up = evaluate_stack(stack, state=EMPTY_STATE)
    preview = evaluate_stack(stack, preview=True, state=up)
    assert plan(document(up, mask=False), document(preview, mask=False)) == []
    assert {r.step for r in preview.resources} == {"same"}


def test_a_preview_from_another_checkout_shows_no_change(tmp_path: Path) -> None:
    """An `up` from this checkout, then a preview of the same stack from a copy of the
    project at another path (CI, then a laptop): no step (the images' build context and
    Dockerfile were absolute paths, so the copy's differed and every image was rebuilt
    and pushed under the same immutable tag, which ECR refuses)."""
    up = evaluate_stack("dev", state=EMPTY_STATE)
    other = copy_project(tmp_path / "elsewhere" / "dockyard")
    assert plan(document(up, mask=False), preview_from(other, "dev", up)) == []


def _append(path: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        with (project / path).open("a") as file:
            file.write("# changed\n")

    return change


def _chmod(path: str, mode: int) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        (project / path).chmod(mode)

    return change


@pytest.mark.parametrize(
    ("change", "image", "users"),
    [
        (_append("containers/mysql/dockyard.cnf"), "rails-db-image", DB_USERS),
        # pulumi-docker hashes the full file mode: g+w alone is a rebuild and a push
        (_chmod("containers/mysql/Dockerfile", 0o664), "rails-db-image", DB_USERS),
        (_chmod("containers/fio/entrypoint.sh", 0o775), "fio-aio-image", {"fio-task-definition"}),
    ],
    ids=["db-file-content", "db-dockerfile-g+w", "fio-entrypoint-g+w"],
)  # fmt: skip
def test_a_changed_image_changes_only_that_image_and_its_users(
    tmp_path: Path, change: Callable[[Path], None], image: str, users: set[str]
) -> None:
    """In a checkout that was deployed, an image's file (or only its mode) changes: the
    preview updates that image alone, under a new tag (an immutable tag is never pushed
    twice), replaces the task definitions that run it and updates their services
    (nothing else: the other images keep their pushed digests)."""
    project = copy_project(tmp_path / "dockyard")
    up = evaluate_in(project, "dev", EMPTY_STATE, preview=False)
    before = document(up, mask=False)
    change(project)
    after = preview_from(project, "dev", up)
    changes = plan(before, after)
    steps = {(c.op, c.typ, c.name) for c in changes}
    expected = {(UPDATE, IMAGE, image)}
    expected |= {(REPLACE, TASK, name) for name in users}
    services = {c.name for c in changes if c.typ == SERVICE}
    expected |= {(UPDATE, SERVICE, name) for name in services}
    assert steps == expected
    assert services and services <= users | {"fio-service"}
    [image_change] = [c for c in changes if c.typ == IMAGE]
    assert "build.contextDigest" in image_change.inputs
    assert "imageName" in image_change.inputs, "a rebuilt image must be pushed under a new tag"
