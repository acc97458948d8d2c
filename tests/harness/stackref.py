"""Mocks that answer StackReferences: `pulumi:pulumi:StackReference` resources get the
outputs given per stack name (e.g. our program's own outputs as evaluated under mocks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from tests.harness.pulumi_program import Evaluation, RecordingMocks, evaluate
from tests.harness.tools import REPO

STACK_REFERENCE = "pulumi:pulumi:StackReference"
CONSUMER = REPO / "examples" / "consumer" / "__main__.py"
OURS = "acme/dockyard/dev"  # the stack name the consumer reads ours under


class ReferenceMocks(RecordingMocks):
    """RecordingMocks plus StackReference answers: {stack name: {output: value}}."""

    def __init__(
        self,
        references: Mapping[str, Mapping[str, Any]],
        secret_outputs: Mapping[str, frozenset[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.references = references
        self.secret_outputs = secret_outputs or {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        answer = super().new_resource(args)  # records it
        if args.typ != STACK_REFERENCE:
            return answer
        stack = args.inputs["name"]
        if stack not in self.references:
            raise AssertionError(f"unexpected StackReference to {stack}")
        outputs = dict(self.references[stack])
        return stack, {
            "name": stack,
            "outputs": outputs,
            "secretOutputNames": sorted(self.secret_outputs.get(stack, frozenset())),
        }


def run_consumer(outputs: dict[str, Any], secret: frozenset[str]) -> Evaluation:
    """examples/consumer under mocks, its StackReference answered with `outputs` (ours)."""
    return evaluate(
        {"dockyard-consumer:dockyardStack": OURS, "dockyard-consumer:servicePort": "8080"},
        base={"aws:region": "us-east-1"},
        main=CONSUMER,
        project="dockyard-consumer",
        mocks=ReferenceMocks({OURS: outputs}, {OURS: secret}),
    )
