"""The harness's model of a preview (RecordingMocks.state) and of pulumi-docker's diff:
what the engine would show, checked on the committed dev stack."""

from __future__ import annotations

from tests.harness.pulumi_program import EMPTY_STATE, UNKNOWN
from tests.harness.stacks import evaluate_stack
from tests.harness.update_plan import UPDATE, step

IMAGE = "docker:index/image:Image"
TASK = "aws:ecs/taskDefinition:TaskDefinition"


def test_a_new_stacks_preview_knows_no_computed_output() -> None:
    """Previewing a new stack, every resource is created: the images' digests are unknown,
    so the task definitions' container definitions (which pin them) are unknown too, and
    nothing created has an id yet; the image inputs themselves are known."""
    preview = evaluate_stack("dev", preview=True, state=EMPTY_STATE)
    assert {r.step for r in preview.resources} == {"create"}
    assert all(r.id == "" for r in preview.resources)
    for task in preview.of_type(TASK):
        assert task.inputs["containerDefinitions"] == UNKNOWN, task.name
    for image in preview.of_type(IMAGE):
        assert "repoDigest" not in image.outputs
        assert image.inputs["build"]["contextDigest"] != UNKNOWN


def test_an_up_against_its_own_state_keeps_every_output() -> None:
    """A second `up` with nothing changed: every resource is a same step with the id and
    outputs the first left (the pushed digests included)."""
    first = evaluate_stack("dev", state=EMPTY_STATE)
    second = evaluate_stack("dev", state=first)
    assert {r.step for r in second.resources} == {"same"}
    before = {(r.typ, r.name): (r.id, r.outputs) for r in first.resources}
    assert {(r.typ, r.name): (r.id, r.outputs) for r in second.resources} == before


def test_registry_credentials_are_not_diffed_but_the_server_is() -> None:
    """pulumi-docker's Diff leaves out registry.username and password (an ECR token
    changes every run) but not registry.server; any image change is an update."""
    old = {"imageName": "r/x:build-1", "registry": {"server": "r", "username": "AWS",
                                                    "password": "a"}}  # fmt: skip
    token = {**old, "registry": {**old["registry"], "password": "b", "username": "u"}}
    assert step(IMAGE, old, token, {}) is None
    moved = {**old, "registry": {**old["registry"], "server": "s"}}
    change = step(IMAGE, old, moved, {})
    assert change is not None
    assert (change.op, change.inputs) == (UPDATE, ("registry.server",))
