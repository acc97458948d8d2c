"""Offline resource snapshots (snapshots/<stack>.json) are current and deterministic."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.harness import stacks
from tests.harness.pulumi_program import BASE_CONFIG, evaluate
from tests.harness.stacks import render, secret_marker, stack_config, stack_names
from tests.harness.tools import REPO

SCRIPT = REPO / "scripts" / "snapshot.py"

STACKS = stack_names()


def test_there_are_dev_and_prod_stacks() -> None:
    """The committed stacks include dev and prod (each gets a snapshot and policy run)."""
    assert {"dev", "prod"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_committed_snapshot_is_current(stack: str) -> None:
    """The committed snapshot equals a fresh evaluation; stale ones name `make snapshot`."""
    problem = stacks.stale_snapshot(stack)
    assert problem is None, problem


def test_stale_after_a_change_and_current_after_make_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack file change makes the committed snapshot stale (naming `make snapshot`);
    the snapshot script (what `make snapshot` runs) makes it current again."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "snapshots").mkdir()
    dev = (stacks.STACKS_DIR / "Pulumi.dev.yaml").read_text()
    assert "dockyard:hostCount: 2\n" in dev
    changed = dev.replace("dockyard:hostCount: 2\n", "dockyard:hostCount: 3\n")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(changed)
    shutil.copy(stacks.snapshot_path("dev"), tmp_path / "snapshots" / "dev.json")
    monkeypatch.setattr(stacks, "STACKS_DIR", tmp_path / "stacks")
    monkeypatch.setattr(stacks, "SNAPSHOTS_DIR", tmp_path / "snapshots")
    problem = stacks.stale_snapshot("dev")
    assert problem is not None and "run `make snapshot`" in problem
    spec = importlib.util.spec_from_file_location("snapshot_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main() == 0
    assert stacks.stale_snapshot("dev") is None
    assert '"name": "dev-3"' in (tmp_path / "snapshots" / "dev.json").read_text()


def test_changed_graph_changes_snapshot_and_evaluation_is_byte_identical() -> None:
    """Two evaluations render byte-identically; one changed config value changes the text."""
    first = render(evaluate())
    assert render(evaluate()) == first
    changed = render(evaluate({"dockyard:hostCount": "4"}))
    assert changed != first
    assert '"name": "my-prefix-4"' in changed
    assert '"name": "my-prefix-4"' not in first


def test_secret_values_are_masked(tmp_path: Path) -> None:
    """A `secure:` config value never reaches the snapshot; the marker stands in its place."""
    stack_file = tmp_path / "Pulumi.t.yaml"
    config = {k: v for k, v in BASE_CONFIG.items() if not k.startswith("dockyard:flocker")}
    config["dockyard:flockerAccessKeyId"] = {"secure": "v1:AAAA"}
    config["dockyard:flockerSecretAccessKey"] = {"secure": "v1:BBBB"}
    stack_file.write_text(json.dumps({"config": config}))
    parsed = stack_config("t", stack_file)
    assert parsed.secret_keys == ("dockyard:flockerAccessKeyId", "dockyard:flockerSecretAccessKey")
    evaluation = evaluate({}, base=parsed.values, secret_keys=parsed.secret_keys)
    text = render(evaluation)
    assert parsed.values["dockyard:flockerSecretAccessKey"] not in text
    assert evaluation.outputs["agentYml"] not in text
    document = json.loads(text)
    marker = document["outputs"]["agentYml"]
    assert marker == secret_marker(evaluation.outputs["agentYml"])
    assert re.fullmatch(r"\[secret [0-9a-f]{12}\]", marker)
