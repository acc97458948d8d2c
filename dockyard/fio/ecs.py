"""ECS definitions for the fio benchmark, as plain data (RegisterTaskDefinition / CreateService).

Pure functions: components/fio/bench.py hands their output to Pulumi, and the tests
validate the same dicts against botocore's own ECS model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dockyard.fio import PLOTS_PORT as PLOTS_PORT  # components/fio/bench.py reads it here
from dockyard.fio.jobs import FioError

TARGET_VOLUME = "fio-target"
TARGET_PATH = "/mnt/fio-target"
DATA_VOLUME = "fio-data"
DATA_PATH = "/tmp/fio-data"  # noqa: S108 - the seed's volume path inside the container
FIO_UID = 10001
BENCH_CONTAINER = "fiotools-aio"
PREPARE_CONTAINER = "prepare-volume"

# EBS limits per volume type (AWS EC2 user guide, "Amazon EBS volume types").
EBS_LIMITS: dict[str, dict[str, tuple[int, int] | None]] = {
    "gp3": {"size": (1, 16384), "iops": (3000, 16000), "throughput": (125, 1000)},
    "gp2": {"size": (1, 16384), "iops": None, "throughput": None},
    "io1": {"size": (4, 16384), "iops": (100, 64000), "throughput": None},
    "io2": {"size": (4, 65536), "iops": (100, 256000), "throughput": None},
    "st1": {"size": (125, 16384), "iops": None, "throughput": None},
    "sc1": {"size": (125, 16384), "iops": None, "throughput": None},
}


@dataclass(frozen=True)
class EbsVolume:
    """An ECS-managed EBS volume, created per task from these settings."""

    volume_type: str = "gp3"
    size_gib: int = 20
    iops: int | None = None
    throughput: int | None = None


@dataclass(frozen=True)
class HostPath:
    """A directory on the EC2 container host (EC2 capacity only)."""

    path: str


TargetVolume = EbsVolume | HostPath


def check_ebs(volume: EbsVolume) -> list[str]:
    """Problems with an EBS setting (empty when valid), each naming the limit."""
    limits = EBS_LIMITS.get(volume.volume_type)
    if limits is None:
        return [f"volume type {volume.volume_type!r} is not one of {', '.join(EBS_LIMITS)}"]
    problems = []
    size = limits["size"]
    assert size is not None
    if not size[0] <= volume.size_gib <= size[1]:
        problems.append(
            f"size {volume.size_gib} GiB is outside {size[0]}-{size[1]} for {volume.volume_type}"
        )
    for field, value in (("iops", volume.iops), ("throughput", volume.throughput)):
        allowed = limits[field]
        if value is None:
            if field == "iops" and volume.volume_type in {"io1", "io2"}:
                problems.append(f"{volume.volume_type} needs iops ({allowed[0]}-{allowed[1]})")  # type: ignore[index]
            continue
        if allowed is None:
            problems.append(f"{field} cannot be set for {volume.volume_type}")
        elif not allowed[0] <= value <= allowed[1]:
            problems.append(
                f"{field} {value} is outside {allowed[0]}-{allowed[1]} for {volume.volume_type}"
            )
    return problems


def volume_environment(volume: TargetVolume, launch_type: str) -> dict[str, str]:
    """What the task measures, for each run's metadata (dockyard.fio.run.VOLUME_ENV), so
    runs of different volumes kept in the results bucket compare with labels."""
    env = {"FIO_COMPUTE": "Fargate" if launch_type == "FARGATE" else launch_type}
    if isinstance(volume, HostPath):
        env["FIO_VOLUME_TYPE"] = f"host path {volume.path}"
        return env
    env["FIO_VOLUME_TYPE"] = volume.volume_type
    env["FIO_VOLUME_SIZE_GIB"] = str(volume.size_gib)
    if volume.iops is not None:
        env["FIO_VOLUME_IOPS"] = str(volume.iops)
    if volume.throughput is not None:
        env["FIO_VOLUME_THROUGHPUT"] = str(volume.throughput)
    return env


def _env(values: Mapping[str, str]) -> list[dict[str, str]]:
    """ECS `environment` entries, leaving out empty values: AWS drops them from the stored
    task definition, so a definition holding one never matches and is replaced by every
    `pulumi up`. The container reads a missing variable as empty."""
    for name, value in values.items():
        if not isinstance(value, str):
            raise TypeError(f"environment value of {name} is {value!r}, not a string")
    return [{"name": k, "value": v} for k, v in sorted(values.items()) if v]


def container_definitions(
    image: str,
    *,
    jobfiles: Sequence[str],
    remotefiles: Sequence[str],
    plotname: str,
    bucket: str,
    region: str,
    log_group: str,
    cpu: int = 256,
    memory: int = 512,
    host_port: int | None = None,
    results_prefix: str | None = None,
    volume: TargetVolume | None = None,
    launch_type: str = "FARGATE",
) -> list[dict[str, Any]]:
    """The benchmark container plus a short root container that hands the volume to uid 10001.

    ECS mounts managed EBS volumes and host paths owned by root; the benchmark itself
    runs as the image's non-root user, so `prepare-volume` (not essential) chowns the
    mount point first and the benchmark waits for it to succeed.
    """
    logs = {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group,
            "awslogs-region": region,
            "awslogs-stream-prefix": "fio",
        },
    }
    environment = {
        "JOBFILES": " ".join(jobfiles),
        "REMOTEFILES": " ".join(remotefiles),
        "PLOTNAME": plotname,
        "FIO_TARGET_DIR": TARGET_PATH,
        "RESULTS_BUCKET": bucket,
        "AWS_DEFAULT_REGION": region,
    }
    if results_prefix:
        environment["RESULTS_PREFIX"] = results_prefix
    if volume is not None:
        environment.update(volume_environment(volume, launch_type))
    port: dict[str, Any] = {"containerPort": PLOTS_PORT, "protocol": "tcp"}
    if host_port is not None:
        port["hostPort"] = host_port
    bench = {
        "name": BENCH_CONTAINER,
        "image": image,
        "essential": True,
        "user": f"{FIO_UID}:{FIO_UID}",
        "cpu": cpu,
        "memory": memory,
        "portMappings": [port],
        "environment": _env(environment),
        "mountPoints": _mount_points(),
        "dependsOn": [{"containerName": PREPARE_CONTAINER, "condition": "SUCCESS"}],
        "healthCheck": {
            "command": ["CMD", "python3", "-m", "dockyard.fio", "health"],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        },
        "logConfiguration": logs,
    }
    return [_prepare_container(image, logs), bench]


def _mount_points() -> list[dict[str, Any]]:
    """The volume under test and the data volume, read-write, in every container."""
    return [
        {"sourceVolume": TARGET_VOLUME, "containerPath": TARGET_PATH, "readOnly": False},
        {"sourceVolume": DATA_VOLUME, "containerPath": DATA_PATH, "readOnly": False},
    ]


def _prepare_container(image: str, logs: dict[str, Any]) -> dict[str, Any]:
    """The short root container that chowns both mount points to the image's user."""
    return {
        "name": PREPARE_CONTAINER,
        "image": image,
        "essential": False,
        "user": "0",
        "entryPoint": ["chown", f"{FIO_UID}:{FIO_UID}", TARGET_PATH, DATA_PATH],
        "command": [],
        "cpu": 16,
        "memory": 32,
        "mountPoints": _mount_points(),
        "logConfiguration": logs,
    }


NetworkMode = Literal["awsvpc", "bridge", "host"]
LaunchType = Literal["FARGATE", "EC2"]


def task_settings(
    target: TargetVolume,
    launch_type: LaunchType,
    *,
    cpu: int,
    memory: int,
    per_host: bool = False,
) -> dict[str, Any]:
    """The task-level RegisterTaskDefinition fields that do not depend on other resources.

    Fargate tasks use awsvpc; EC2 tasks bridge with host port 8000; one task per host
    (`per_host`) uses the host's network, so its hostname (the S3 prefix of its results)
    is the container host's.
    """
    if isinstance(target, HostPath):
        if launch_type != "EC2":
            raise ValueError("a host path volume needs EC2 capacity (launch type EC2)")
        target_volume: dict[str, Any] = {"name": TARGET_VOLUME, "host": {"sourcePath": target.path}}
    else:
        target_volume = {"name": TARGET_VOLUME, "configuredAtLaunch": True}
    if per_host and launch_type != "EC2":
        raise ValueError("one task per container host needs EC2 capacity (launch type EC2)")
    network_mode: NetworkMode = (
        "awsvpc" if launch_type == "FARGATE" else "host" if per_host else "bridge"
    )
    settings: dict[str, Any] = {
        "networkMode": network_mode,
        "requiresCompatibilities": [launch_type],
        "volumes": [target_volume, {"name": DATA_VOLUME}],
    }
    if launch_type == "FARGATE":
        settings["cpu"] = str(cpu)
        settings["memory"] = str(memory)
        settings["runtimePlatform"] = {
            "operatingSystemFamily": "LINUX",
            "cpuArchitecture": "X86_64",
        }
    return settings


def task_definition(
    family: str,
    containers: list[dict[str, Any]],
    *,
    target: TargetVolume,
    launch_type: LaunchType,
    execution_role_arn: str,
    task_role_arn: str,
    cpu: int,
    memory: int,
    per_host: bool = False,
) -> dict[str, Any]:
    """RegisterTaskDefinition input: the volume under test and a scratch data volume."""
    return {
        "family": family,
        "executionRoleArn": execution_role_arn,
        "taskRoleArn": task_role_arn,
        "containerDefinitions": containers,
        **task_settings(target, launch_type, cpu=cpu, memory=memory, per_host=per_host),
    }


def ebs_settings(volume: EbsVolume) -> dict[str, Any]:
    """The managed EBS volume's settings (encrypted, ext4), without the role."""
    managed: dict[str, Any] = {
        "encrypted": True,
        "volumeType": volume.volume_type,
        "sizeInGiB": volume.size_gib,
        "filesystemType": "ext4",
    }
    if volume.iops is not None:
        managed["iops"] = volume.iops
    if volume.throughput is not None:
        managed["throughput"] = volume.throughput
    return managed


def ebs_volume_configuration(volume: EbsVolume, role_arn: str) -> dict[str, Any]:
    """CreateService `volumeConfigurations` entry for the managed EBS volume."""
    return {
        "name": TARGET_VOLUME,
        "managedEBSVolume": {"roleArn": role_arn, **ebs_settings(volume)},
    }


# `bench ecs`: one one-off task per volume, each with its EBS volume configured at run time.
_VOLUME_SPEC = re.compile(
    r"^(?P<type>[a-z0-9]{2,4})(:(?P<iops>[0-9]{1,6})?(:(?P<tput>[0-9]{1,4}))?)?$"
)
_RUN_TASK_PATTERNS = {
    "cluster": re.compile(
        r"^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255})$"
    ),
    "task definition": re.compile(
        r"^([A-Za-z0-9_-]{1,255}(:\d{1,9})?|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d{1,9})$"
    ),
    "role": re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"),
    "subnet": re.compile(r"^subnet-[0-9a-f]{8,17}$"),
    "security group": re.compile(r"^sg-[0-9a-f]{8,17}$"),
}
TASK_CPU_ENV = "FIO_TASK_CPU"
TASK_MEMORY_ENV = "FIO_TASK_MEMORY"


def parse_volume_spec(text: str, size_gib: int = 20) -> EbsVolume:
    """`TYPE[:IOPS[:THROUGHPUT]]` (gp3, gp3:6000:250, io2:16000) as an EbsVolume; FioError
    naming the problem (the form, or EBS's limits for the type)."""
    match = _VOLUME_SPEC.fullmatch(text)
    if match is None:
        raise FioError(
            f"--volume {text[:40]!r}: give TYPE[:IOPS[:THROUGHPUT]], e.g. gp3, gp3:6000:250 "
            "or io2:16000"
        )
    iops, tput = match.group("iops"), match.group("tput")
    volume = EbsVolume(
        match.group("type"), size_gib, int(iops) if iops else None, int(tput) if tput else None
    )
    problems = check_ebs(volume)
    if problems:
        raise FioError(f"--volume {text}: {'; '.join(problems)}")
    return volume


def volume_slug(volume: EbsVolume) -> str:
    """A volume's part of a run name: gp3, gp3-6000-250, io2-16000."""
    parts = [volume.volume_type, volume.iops, volume.throughput]
    return "-".join(str(part) for part in parts if part is not None)


def check_run_task_value(kind: str, value: str, what: str | None = None) -> str:
    """`value` as a RunTask `kind` (cluster, task definition, role, subnet, security
    group), full-matched (a trailing newline too is refused); FioError naming `what` (the
    flag or stack output it came from; default `kind`)."""
    if not isinstance(value, str) or not _RUN_TASK_PATTERNS[kind].fullmatch(value):
        raise FioError(f"{what or kind} {str(value)[:60]!r} is not a valid {kind} name or ARN")
    return value


def task_overrides(env: Mapping[str, str], cpu: int | None, memory: int | None) -> dict[str, Any]:
    """RunTask `overrides`: the task's CPU and memory when given (also told to the bench
    container, for its run's metadata), and the bench container's environment."""
    values = dict(env)
    overrides: dict[str, Any] = {}
    if cpu is not None:
        overrides["cpu"] = str(cpu)
        values[TASK_CPU_ENV] = str(cpu)
    if memory is not None:
        overrides["memory"] = str(memory)
        values[TASK_MEMORY_ENV] = str(memory)
    overrides["containerOverrides"] = [{"name": BENCH_CONTAINER, "environment": _env(values)}]
    return overrides


def run_task_params(
    *,
    cluster: str,
    task_definition: str,
    volume: EbsVolume,
    role_arn: str,
    subnets: Sequence[str],
    security_groups: Sequence[str],
    plotname: str,
    cpu: int | None = None,
    memory: int | None = None,
    assign_public_ip: bool = False,
) -> dict[str, Any]:
    """RunTask input for one one-off Fargate task measuring `volume`: its ECS-managed EBS
    volume configured at run time, the bench container told what it measures (and to
    exit after the run, its results copied to the stack's bucket), the task's CPU and
    memory overridden when given and recorded in the run's metadata, a public address
    when `assign_public_ip` (public subnets without a NAT: the stack's fioAssignPublicIp)."""
    check_run_task_value("cluster", cluster)
    check_run_task_value("task definition", task_definition)
    check_run_task_value("role", role_arn)
    for subnet in subnets:
        check_run_task_value("subnet", subnet)
    for group in security_groups:
        check_run_task_value("security group", group)
    env = {**volume_environment(volume, "FARGATE"), "PLOTNAME": plotname, "FIO_NO_SERVE": "1"}
    overrides = task_overrides(env, cpu, memory)
    managed = {
        "roleArn": role_arn,
        **ebs_settings(volume),
        "terminationPolicy": {"deleteOnTermination": True},
    }
    return {
        "cluster": cluster,
        "taskDefinition": task_definition,
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": "dockyard-bench-ecs",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(subnets),
                "securityGroups": list(security_groups),
                "assignPublicIp": "ENABLED" if assign_public_ip else "DISABLED",
            }
        },
        "overrides": overrides,
        "volumeConfigurations": [{"name": TARGET_VOLUME, "managedEBSVolume": managed}],
        "tags": [{"key": "dockyard:volume", "value": volume_slug(volume)}],
    }
