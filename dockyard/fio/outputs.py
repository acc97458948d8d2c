"""The fio flow's `fioTasks` stack output: what `dockyard bench ecs` needs to run one-off
benchmark tasks on the stack's cluster without a flag per value. The component exports
`FioTasks(...).to_output()`; `bench ecs` reads it back with `FioTasks.from_output` and
checks every value as it checks the same flags (docs/outputs.md lists the keys).
"""

from __future__ import annotations

from typing import ClassVar

from dockyard.stack_outputs import OutputRecord

OUTPUT = "fioTasks"


class FioTasks(OutputRecord, frozen=True, kw_only=True):
    """The `fioTasks` output; each field is the camelCase key of the same name."""

    OUTPUT: ClassVar[str] = OUTPUT

    cluster: str | None = None
    """ARN of the cluster the stack's fio tasks run on."""
    results: str | None = None
    """Where every run is uploaded: `s3://BUCKET`."""
    task_definition: str | None = None
    """ARN of the fio task definition whose volume under test ECS attaches at run time
    (fioVolume ebs); None when the stack tests a host path."""
    volume_role: str | None = None
    """ARN of ECS's infrastructure role for the EBS volumes it attaches (fioVolume ebs)."""
    subnets: list[str] | None = None
    security_groups: list[str] | None = None
    """The one-off tasks' network (awsvpc): the service's subnets and task security group."""
    assign_public_ip: bool = False
    """Whether the one-off tasks get a public address (to reach ECR without a NAT)."""
    instance_type: str | None = None
    """The instance type of the stack's instance-store capacity (fioInstanceStore)."""
    instance_store_task_definition: str | None = None
    """ARN of the task definition that mounts the hosts' instance store."""
    capacity_provider: str | None = None
    """The instance-store capacity's capacity provider."""
