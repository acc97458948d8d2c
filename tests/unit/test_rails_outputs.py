"""dockyard.rails.outputs: the railsTasks stack output, written by the Rails component and
read back by `dockyard rails exec/run/import-db`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dockyard.errors import UsageError
from dockyard.rails.outputs import RailsTasks
from tests.harness import stacks


@pytest.mark.parametrize("stack", stacks.stack_names())
def test_the_exported_output_reads_back_whole(stack: str) -> None:
    """What each committed stack exports as railsTasks reads back into every field and
    writes out again unchanged: no key the component exports is unknown to the reader."""
    exported = json.loads(stacks.snapshot_path(stack).read_text())["outputs"]["railsTasks"]
    tasks = RailsTasks.from_output(exported)
    assert tasks.to_output() == exported
    assert None not in tasks.to_output().values()


@pytest.mark.parametrize(
    "value",
    [{}, {"webTaskDefinition": ""}, {"webTaskDefinition": None}, {"webTaskDefinition": 5},
     {"webTaskDefinition": ["arn:aws:ecs:us-east-1:1:task-definition/web:1"]}],
    ids=["absent", "empty", "null", "a-number", "a-list"],
)  # fmt: skip
def test_a_missing_or_malformed_key_is_named_when_needed(value: dict[str, Any]) -> None:
    """A key an older (or hand-edited) stack lacks or holds as another type reads as None;
    the command that needs it stops with a message naming it and the fix, the others run."""
    tasks = RailsTasks.from_output({**value, "webService": "web"})
    assert tasks.need("webService") == "web"
    with pytest.raises(UsageError, match="railsTasks has no webTaskDefinition: run `pulumi up`"):
        tasks.need("webTaskDefinition")


def test_log_groups_are_read_one_by_one() -> None:
    """A log group that is not a name is left out; the others are kept."""
    tasks = RailsTasks.from_output({"logGroups": {"web": 7, "db": "/dockyard/dev/appdb"}})
    assert tasks.log_groups == {"db": "/dockyard/dev/appdb"}
