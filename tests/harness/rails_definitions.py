"""The Rails flow's task definitions as the components register them: each request handed to
register_task_definition (components/shared/task_definition.py), recorded with its Outputs
resolved, so botocore's model and moto judge exactly what the program registers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pulumi

from components.rails import app, db_imports
from components.shared.task_definition import register_task_definition

REGISTERED_BY = (app, db_imports)
"""The modules of the Rails flow that register task definitions."""


@contextlib.contextmanager
def recording_definitions() -> Iterator[dict[str, dict[str, Any]]]:
    """While open, every task definition the Rails components register is still registered
    and also recorded, by resource name, as the RegisterTaskDefinition request it is."""
    seen: dict[str, dict[str, Any]] = {}

    def recording(name: str, definition: Any, **kwargs: Any) -> Any:
        pulumi.Output.from_input(definition).apply(lambda value: seen.__setitem__(name, value))
        return register_task_definition(name, definition, **kwargs)

    with contextlib.ExitStack() as stack:
        for module in REGISTERED_BY:
            stack.enter_context(mock.patch.object(module, "register_task_definition", recording))
        yield seen
