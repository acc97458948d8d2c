"""The Rails flow's `railsTasks` stack output, defined once: what `dockyard rails
exec/run/import-db` need to start one-off work on the stack's ECS services. The component
exports `RailsTasks(...).to_output()`; the CLI reads it back with `RailsTasks.from_output`
(docs/outputs.md lists the keys).

A stack made by an older dockyard may lack keys (import-db came later): a key that is
absent, empty or of another type reads as None, and only a command that needs it stops,
naming it and the fix (`need`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from dockyard.errors import UsageError

OUTPUT = "railsTasks"


class RailsTasks(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The `railsTasks` output; each field is the camelCase key of the same name."""

    web_service: str | None = None
    """The web service's name (ECS Exec finds a running task through it)."""
    db_service: str | None = None
    """The database service's name (one-off tasks get its task's private address)."""
    web_task_definition: str | None = None
    """ARN of the web task definition (`rails run` starts a task of it)."""
    web_container: str | None = None
    import_task_definition: str | None = None
    """ARN of the dump loader's task definition (`rails import-db`)."""
    import_container: str | None = None
    import_bucket: str | None = None
    """The bucket a dump is uploaded to before the loader fetches it."""
    log_groups: dict[str, str] | None = None
    """CloudWatch log groups by container: `web` and `db`."""
    subnets: list[str] | None = None
    security_groups: list[str] | None = None
    """The one-off tasks' network: the web service's subnets and security group."""
    assign_public_ip: bool = False
    capacity_provider: str | None = None
    """What the one-off tasks run on (FARGATE or the EC2 capacity provider)."""

    def to_output(self) -> dict[str, Any]:
        """The stack output's value: every key, camelCase, its value as given (the component
        gives Pulumi Outputs, so a preview still shows the keys it knows)."""
        return {key: getattr(self, name) for key, name in _ATTRIBUTES.items()}

    @classmethod
    def from_output(cls, value: Mapping[str, Any]) -> RailsTasks:
        """The output as read back from a stack; what is missing or malformed reads as None."""
        found: dict[str, Any] = {}
        for field in msgspec.structs.fields(cls):
            raw = value.get(field.encode_name)
            if raw in (None, "", []):
                continue
            if field.name == "log_groups":
                # read group by group: the command that needs a group names the one missing
                raw = (
                    {k: v for k, v in raw.items() if isinstance(v, str)}
                    if isinstance(raw, Mapping)
                    else {}
                )
            try:
                found[field.name] = msgspec.convert(raw, field.type)
            except msgspec.ValidationError:
                continue
        return cls(**found)

    def need(self, key: str) -> Any:
        """The value of output key `key` (e.g. webTaskDefinition), or a UsageError naming it
        when the stack's output lacks it."""
        value = getattr(self, _ATTRIBUTES[key])
        if value is None:
            raise UsageError(
                f"the stack output {OUTPUT} has no {key}: run `pulumi up` with this "
                "version of dockyard, then try again"
            )
        return value


_ATTRIBUTES = {field.encode_name: field.name for field in msgspec.structs.fields(RailsTasks)}
"""Output key -> attribute name."""
