"""The Rails flow's `railsTasks` stack output, defined once: what `dockyard rails
exec/run/import-db` need to start one-off work on the stack's ECS services. The component
exports `RailsTasks(...).to_output()`; the CLI reads it back with `RailsTasks.from_output`
(docs/outputs.md lists the keys). A stack made by an older dockyard may lack keys
(import-db came later): dockyard.stack_outputs.OutputRecord says how they read.
"""

from __future__ import annotations

from typing import ClassVar

from dockyard.stack_outputs import OutputRecord

OUTPUT = "railsTasks"


class RailsTasks(OutputRecord, frozen=True, kw_only=True):
    """The `railsTasks` output; each field is the camelCase key of the same name."""

    OUTPUT: ClassVar[str] = OUTPUT

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
