"""Offline resource snapshots (snapshots/<stack>.json) are current and deterministic."""

from __future__ import annotations

import json

import pytest

from tests.harness.pulumi_program import BASE_CONFIG, evaluate
from tests.harness.stacks import (
    SECRET_MARKER,
    render,
    snapshot,
    snapshot_path,
    stack_config,
    stack_names,
)

STACKS = stack_names()


def test_there_are_dev_and_prod_stacks() -> None:
    """The committed stacks include dev and prod (each gets a snapshot and policy run)."""
    assert {"dev", "prod"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_committed_snapshot_is_current(stack: str) -> None:
    """The committed snapshot equals a fresh evaluation; stale ones name `make snapshot`."""
    path = snapshot_path(stack)
    assert path.is_file(), f"{path.name} is missing: run `make snapshot` and commit snapshots/"
    fresh = snapshot(stack)
    assert path.read_text() == fresh, (
        f"snapshots/{stack}.json is stale (the resource graph changed): run `make snapshot` "
        "and commit snapshots/ so the change shows in the pull request"
    )


def test_changed_graph_changes_snapshot_and_evaluation_is_byte_identical() -> None:
    """Two evaluations render byte-identically; one changed config value changes the text."""
    first = render(evaluate())
    assert render(evaluate()) == first
    changed = render(evaluate({"dockyard:hostCount": "4"}))
    assert changed != first
    assert '"name": "my-prefix-4"' in changed
    assert '"name": "my-prefix-4"' not in first


def test_secret_values_are_masked(tmp_path: pytest.TempPathFactory) -> None:
    """A `secure:` config value never reaches the snapshot; the marker stands in its place."""
    stack_file = tmp_path / "Pulumi.t.yaml"  # type: ignore[operator]
    config = {k: v for k, v in BASE_CONFIG.items() if not k.startswith("dockyard:flocker")}
    config["dockyard:flockerAccessKeyId"] = {"secure": "v1:AAAA"}
    config["dockyard:flockerSecretAccessKey"] = {"secure": "v1:BBBB"}
    stack_file.write_text(json.dumps({"config": config}))
    parsed = stack_config("t", stack_file)
    assert parsed.secret_keys == ("dockyard:flockerAccessKeyId", "dockyard:flockerSecretAccessKey")
    text = render(evaluate({}, base=parsed.values, secret_keys=parsed.secret_keys))
    assert parsed.values["dockyard:flockerSecretAccessKey"] not in text
    document = json.loads(text)
    assert document["outputs"]["agentYml"] == SECRET_MARKER
