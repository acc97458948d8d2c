"""Kernel settings of the Docker hosts (hostTuning), as plain data: checked and turned into
the host_tuning role's variables. A setting left out is left as the image has it.

The settings are those of the original workflow's KVM compute-node tuning that apply to
an EC2 guest (docs/host-tuning.md): the block-device I/O scheduler per device class,
transparent huge pages, vm.swappiness, vm.zone_reclaim_mode, KSM, other sysctls, and
hyper-threading as EC2's threads per core.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEDULERS = ("none", "mq-deadline", "kyber", "bfq")
THP_MODES = ("always", "madvise", "never")
THREADS_PER_CORE = (1, 2)
SYSCTL_NAME = re.compile(r"^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$")
SYSCTL_VALUE = re.compile(r"^[A-Za-z0-9_. :/-]{1,100}$")
FIELDS = frozenset(
    {
        "schedulerNvme",
        "schedulerOther",
        "transparentHugePages",
        "swappiness",
        "zoneReclaimMode",
        "ksm",
        "sysctls",
        "threadsPerCore",
        "coreCount",
    }
)
CORE_COUNT_FIX = (
    "set both: coreCount to the instance type's DefaultCores (aws ec2 "
    "describe-instance-types --instance-types TYPE --query 'InstanceTypes[].VCpuInfo'; "
    "m6i.large: 1), threadsPerCore to 1 or 2"
)


class TuningError(ValueError):
    """A setting that cannot be applied: `where` is its field."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem, self.fix = where, problem, fix


@dataclass(frozen=True)
class HostTuning:
    """hostTuning, checked; None (or empty) leaves a setting as it is."""

    scheduler_nvme: str | None = None
    scheduler_other: str | None = None
    transparent_huge_pages: str | None = None
    swappiness: int | None = None
    zone_reclaim_mode: int | None = None
    ksm: bool | None = None
    sysctls: Mapping[str, str] = field(default_factory=dict)
    """More sysctls (name -> value), e.g. net.core.somaxconn."""
    threads_per_core: int | None = None
    """EC2 CPU options (DockerHosts), not the role."""
    core_count: int | None = None
    """EC2 CPU options' core count, set with threads_per_core (EC2 takes both)."""

    def all_sysctls(self) -> dict[str, str]:
        """The sysctls the role sets: `sysctls` plus swappiness and zone reclaim, sorted."""
        named = {"vm.swappiness": self.swappiness, "vm.zone_reclaim_mode": self.zone_reclaim_mode}
        merged = dict(self.sysctls)
        merged.update({k: str(v) for k, v in named.items() if v is not None})
        return dict(sorted(merged.items()))

    def role_vars(self) -> dict[str, Any]:
        """The host_tuning role's variables ("" leaves a setting as it is)."""
        return {
            "host_tuning_scheduler_nvme": self.scheduler_nvme or "",
            "host_tuning_scheduler_other": self.scheduler_other or "",
            "host_tuning_transparent_hugepages": self.transparent_huge_pages or "",
            "host_tuning_ksm": "" if self.ksm is None else ("1" if self.ksm else "0"),
            "host_tuning_sysctls": self.all_sysctls(),
        }


def _choice(where: str, value: object, choices: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text not in choices:
        raise TuningError(
            where, f"{value!r} is not one of {', '.join(choices)}", f"use {choices[1]}"
        )
    return text


def _int(where: str, value: object, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TuningError(where, f"{value!r} is not a whole number", f"use {low}..{high}")
    try:
        number = int(value)
    except ValueError:
        raise TuningError(where, f"{value!r} is not a whole number", f"use {low}..{high}") from None
    if not low <= number <= high:
        raise TuningError(where, f"{number} is outside {low}..{high}", f"use {low}..{high}")
    return number


def _bool(where: str, value: object) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "on"}:
        return True
    if text in {"false", "no", "0", "off"}:
        return False
    raise TuningError(where, f"{value!r} is not true or false", "use true or false")


def _sysctls(value: object) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise TuningError("sysctls", "must be a map", "write it like {net.core.somaxconn: 4096}")
    checked: dict[str, str] = {}
    for name, setting in value.items():
        if not SYSCTL_NAME.match(str(name)) or str(name).startswith("kernel.modprobe"):
            raise TuningError(
                f"sysctls.{name}", "is not a sysctl name", "write it like net.core.somaxconn"
            )
        if isinstance(setting, bool) or not SYSCTL_VALUE.match(str(setting)):
            raise TuningError(
                f"sysctls.{name}", f"{setting!r} is not a sysctl value", "give a number or word"
            )
        checked[str(name)] = str(setting)
    for name, key in (("vm.swappiness", "swappiness"), ("vm.zone_reclaim_mode", "zoneReclaimMode")):
        if name in checked:
            raise TuningError(f"sysctls.{name}", f"is set with its own field {key}", f"use {key}")
    return checked


def parse_tuning(value: Mapping[str, Any]) -> HostTuning:
    """hostTuning as given (camelCase fields), checked."""
    extra = sorted(set(value) - FIELDS)
    if extra:
        raise TuningError(extra[0], "is not a setting", f"use only {', '.join(sorted(FIELDS))}")
    threads = _int("threadsPerCore", value.get("threadsPerCore"), 1, 2)
    cores = _int("coreCount", value.get("coreCount"), 1, 192)
    if (threads is None) != (cores is None):
        # botocore's ec2 model, CpuOptionsRequest: "Both the core count and threads per
        # core must be specified in the request."
        missing = "coreCount" if cores is None else "threadsPerCore"
        raise TuningError(missing, "is needed too: EC2's CPU options take both", CORE_COUNT_FIX)
    return HostTuning(
        scheduler_nvme=_choice("schedulerNvme", value.get("schedulerNvme"), SCHEDULERS),
        scheduler_other=_choice("schedulerOther", value.get("schedulerOther"), SCHEDULERS),
        transparent_huge_pages=_choice(
            "transparentHugePages", value.get("transparentHugePages"), THP_MODES
        ),
        swappiness=_int("swappiness", value.get("swappiness"), 0, 200),
        zone_reclaim_mode=_int("zoneReclaimMode", value.get("zoneReclaimMode"), 0, 7),
        ksm=_bool("ksm", value.get("ksm")),
        sysctls=_sysctls(value.get("sysctls")),
        threads_per_core=threads,
        core_count=cores,
    )


def check_cpu_options(
    instance_type: str,
    tuning: HostTuning,
    valid_threads: Sequence[int],
    valid_cores: Sequence[int],
) -> None:
    """threadsPerCore and coreCount against what EC2 says `instance_type` takes
    (DescribeInstanceTypes VCpuInfo.ValidThreadsPerCore and ValidCores; a type that lists
    none takes no CPU options). TuningError when EC2 would refuse the instance."""
    if tuning.threads_per_core is None:
        return
    if not valid_threads:
        raise TuningError(
            "threadsPerCore",
            f"is set, but {instance_type} takes no CPU options (EC2 lists no valid threads "
            "per core for it)",
            "pulumi config rm --path hostTuning.threadsPerCore and hostTuning.coreCount, or "
            "choose an instanceType that lists them (m6i.large)",
        )
    if tuning.threads_per_core not in valid_threads:
        raise TuningError(
            "threadsPerCore",
            f"{tuning.threads_per_core} is not one {instance_type} takes "
            f"({', '.join(map(str, valid_threads))})",
            f"use {valid_threads[0]}",
        )
    if valid_cores and tuning.core_count not in valid_cores:
        raise TuningError(
            "coreCount",
            f"{tuning.core_count} is not a core count {instance_type} takes "
            f"({', '.join(map(str, valid_cores))})",
            f"use {max(valid_cores)} (every core)",
        )
