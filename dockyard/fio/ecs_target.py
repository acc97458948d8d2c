"""Where `dockyard bench ecs` runs: each value from its flag, else from the stack's
`fioTasks` output (dockyard/fio/outputs.py). A flag given always wins. The outputs are
read only when a value the run needs has no flag, so flag-only use needs neither stack
outputs nor the Pulumi CLI.

Values from the outputs come from outside: each gets exactly the check its flag gets
(the functions below are the ones RunTask's builders use), and a bad one is refused
naming its output key. A value that neither a flag nor the outputs give is named with
both in one error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from dockyard.errors import UsageError
from dockyard.fio.ecs import check_run_task_value
from dockyard.fio.instance_store import check_capacity_provider, check_instance_type_name
from dockyard.fio.jobs import FioError
from dockyard.fio.outputs import OUTPUT, FioTasks
from dockyard.fio.pull import parse_s3_url

EVERY_RUN = "every run"
EBS = "the EBS volumes given"
INSTANCE_STORE = "--volume instance-store"
EBS_STACK = " from a stack with fioVolume ebs"
STORE_STACK = " from a stack with fioInstanceStoreType"


def _run_task(kind: str) -> Callable[[str, str], object]:
    return lambda value, what: check_run_task_value(kind, value, what)


@dataclass(frozen=True)
class Setting:
    """One value of a run: its FioTasks field, its flag, what needs it, how it is checked."""

    field: str
    flag: str
    needed_for: str | None
    """EVERY_RUN, EBS or INSTANCE_STORE; None when optional."""
    check: Callable[[Any, str], object]
    """Called with the value (each item of a list) and the flag or output key it came
    from; raises FioError naming that."""
    stack: str = ""
    """Which stacks' outputs have it (for the message when neither gives it)."""

    @property
    def key(self) -> str:
        """Its key in the fioTasks output (camelCase)."""
        return f"{OUTPUT}.{_KEYS[self.field]}"


_KEYS = {f.name: f.encode_name for f in msgspec.structs.fields(FioTasks)}

SETTINGS = (
    Setting("cluster", "--cluster", EVERY_RUN, _run_task("cluster")),
    Setting("results", "--results", EVERY_RUN, parse_s3_url),
    Setting("task_definition", "--task-definition", EBS, _run_task("task definition"), EBS_STACK),
    Setting("volume_role", "--role-arn", EBS, _run_task("role"), EBS_STACK),
    Setting("subnets", "--subnet", EBS, _run_task("subnet")),
    Setting("security_groups", "--security-group", EBS, _run_task("security group")),
    Setting("assign_public_ip", "--assign-public-ip", None, lambda value, what: value),
    Setting("instance_type", "--instance-type", INSTANCE_STORE, check_instance_type_name,
            STORE_STACK),
    Setting("instance_store_task_definition", "--ec2-task-definition", INSTANCE_STORE,
            _run_task("task definition"), STORE_STACK),
    Setting("capacity_provider", "--capacity-provider", None, check_capacity_provider),
)  # fmt: skip


@dataclass(frozen=True)
class EcsTarget:
    """The run's values, checked; `sources` names where each came from (its flag or its
    fioTasks key), for the checks that need AWS (DescribeInstanceTypes...)."""

    cluster: str
    results: str
    task_definition: str | None = None
    volume_role: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    assign_public_ip: bool = False
    instance_type: str | None = None
    instance_store_task_definition: str | None = None
    capacity_provider: str | None = None
    sources: Mapping[str, str] | None = None

    def source(self, field: str) -> str:
        """The flag or output key `field`'s value came from."""
        return (self.sources or {}).get(field) or _setting(field).flag

    def ebs(self, cpu: int | None, memory: int | None) -> dict[str, Any]:
        """Where the EBS volumes' tasks run: dockyard.fio.ecs.run_task_params's arguments."""
        return {
            "cluster": self.cluster,
            "cpu": cpu,
            "memory": memory,
            "task_definition": self.task_definition,
            "role_arn": self.volume_role,
            "subnets": list(self.subnets),
            "security_groups": list(self.security_groups),
            "assign_public_ip": self.assign_public_ip,
        }

    def ec2(self, cpu: int | None, memory: int | None) -> dict[str, Any]:
        """Where the instance-store tasks run: dockyard.fio.instance_store.run_task_params's
        arguments."""
        return {
            "cluster": self.cluster,
            "cpu": cpu,
            "memory": memory,
            "task_definition": self.instance_store_task_definition,
            "capacity_provider": self.capacity_provider,
        }


def _setting(field: str) -> Setting:
    return next(s for s in SETTINGS if s.field == field)


def _given(value: Any) -> bool:
    return value is not None and value != [] and value != ()


def _needs(missing: Sequence[Setting]) -> str:
    """`bench ecs needs --x (or fioTasks.x) for every run; --y (or ...) for ...`."""
    parts = []
    for purpose in (EVERY_RUN, EBS, INSTANCE_STORE):
        named = [f"{s.flag} (or {s.key}{s.stack})" for s in missing if s.needed_for == purpose]
        if named:
            parts.append(f"{', '.join(named)} for {purpose}")
    return f"bench ecs needs {'; '.join(parts)}"


def _check(setting: Setting, value: Any, what: str) -> Any:
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        setting.check(item, what)
    return tuple(value) if isinstance(value, list | tuple) else value


def resolve(
    flags: Mapping[str, Any],
    *,
    ebs: bool,
    instance_store: bool,
    outputs: Callable[[], Mapping[str, Any]],
    named_stack: bool = False,
) -> EcsTarget:
    """The run's values: each flag given (`flags` by FioTasks field: None or [] when not
    given), else the stack outputs' fioTasks value. `outputs` (the outputs document) is
    called when a value the volumes need (`ebs`, `instance_store`) has no flag, or a stack
    is named (`named_stack`: then the optional values come from it too).
    UsageError naming every missing value with its flag and output key; FioError for a
    bad value, naming its flag or output key."""
    purposes = {EVERY_RUN, *([EBS] if ebs else []), *([INSTANCE_STORE] if instance_store else [])}
    needed = [s for s in SETTINGS if s.needed_for in purposes]
    tasks: FioTasks | None = None
    if named_stack or any(not _given(flags.get(s.field)) for s in needed):
        try:
            document = outputs()
        except UsageError as err:
            unflagged = [s for s in needed if not _given(flags.get(s.field))]
            raise UsageError(f"{_needs(unflagged)}; {err}") from None
        value = document.get(OUTPUT)
        tasks = FioTasks.from_output(value) if isinstance(value, Mapping) else None
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        flag_value = flags.get(setting.field)
        if _given(flag_value):
            values[setting.field] = _check(setting, flag_value, setting.flag)
            sources[setting.field] = setting.flag
            continue
        found = getattr(tasks, setting.field) if tasks is not None else None
        if not _given(found):
            continue
        try:
            values[setting.field] = _check(setting, found, setting.key)
        except FioError as err:
            raise FioError(
                f"{err} (from the stack outputs: fix the stack, or give {setting.flag})"
            ) from None
        sources[setting.field] = setting.key
    missing = [s for s in needed if s.field not in values]
    if missing:
        hint = (
            f"; the stack outputs have no {OUTPUT} (is fioBench on, and the stack up to date? "
            "pulumi up)"
            if tasks is None
            else ""
        )
        raise UsageError(_needs(missing) + hint)
    return EcsTarget(**values, sources=sources)
