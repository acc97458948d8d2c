"""Day-2 scenarios: evaluate the program before and after a change a user makes, and read
what the next `pulumi up` would do (tests/harness/update_plan.py).

    changes = next_up(before={...}, after={...})                    # a config change
    changes = next_up(after_mocks=RecordingMocks(newest_ami="ami-…"))  # the world changed

Both evaluations run on a committed stack's file (dev unless `stack` is given) with the
given keys overlaid (None removes a key); secrets are compared by value, not masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tests.harness.pulumi_program import Evaluation, RecordingMocks
from tests.harness.stacks import document, evaluate_stack, stack_config
from tests.harness.update_plan import REPLACE, Change, plan

INSTANCE = "aws:ec2/instance:Instance"


def evaluate_changed(
    stack: str,
    config: Mapping[str, Any] | None = None,
    *,
    mocks: RecordingMocks | None = None,
    preview: bool = False,
) -> Evaluation:
    """The committed stack `stack` evaluated with `config` overlaid (None removes a key)."""
    values = stack_config(stack)
    merged = {**values.values, **(config or {})}
    merged = {k: v for k, v in merged.items() if v is not None}
    return evaluate_stack(stack, replace(values, values=merged), mocks=mocks, preview=preview)


def next_up(
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    *,
    stack: str = "dev",
    before_mocks: RecordingMocks | None = None,
    after_mocks: RecordingMocks | None = None,
    preview: bool = False,
) -> list[Change]:
    """The steps of the `pulumi up` after this one: the stack evaluated with `before` and
    with `after`, the mocks answering as given."""
    old = evaluate_changed(stack, before, mocks=before_mocks, preview=preview)
    new = evaluate_changed(stack, after, mocks=after_mocks, preview=preview)
    return plan(document(old, mask=False), document(new, mask=False))


def replaced(changes: list[Change], typ: str | None = None) -> list[Change]:
    """The replacements among `changes` (of one resource type if given)."""
    return [c for c in changes if c.op == REPLACE and (typ is None or c.typ == typ)]
