"""Flow 2's settings: fio benchmarks on ECS against the volume under test (off unless
`fioBench`)."""

from __future__ import annotations

from dataclasses import dataclass

from components.config.reader import ConfigError, Reader
from dockyard.fio.ecs import EbsVolume, HostPath

DEFAULT_JOBFILE = "randread-4k.fio"
"""The image's example job that runs when neither fioJobFiles nor fioRemoteFiles is set."""


@dataclass(frozen=True)
class FioBenchConfig:
    """Flow 2: fio benchmarks on ECS against the volume under test."""

    launch_type: str
    """FARGATE or EC2."""
    volume: EbsVolume | HostPath
    """The volume under test: an ECS-managed EBS volume per task (fioVolume ebs, within
    AWS's limits for its type) or a directory on EC2 capacity (fioVolume host)."""
    per_host: bool
    """One task on every container host (DAEMON scheduling), results kept per host."""
    jobfiles: tuple[str, ...]
    remotefiles: tuple[str, ...]
    plotname: str
    cpu: int
    memory: int
    cluster_arn: str | None
    """An existing cluster (required for EC2 capacity); None creates one (Fargate)."""
    assign_public_ip: bool
    instance_store: InstanceStoreHosts | None = None
    """EC2 hosts with instance store in the stack's own cluster (fioInstanceStoreType)."""


@dataclass(frozen=True)
class InstanceStoreHosts:
    """fioInstanceStoreType's hosts: an Auto Scaling group from 0 to `max_hosts`."""

    instance_type: str
    max_hosts: int


def _check_capacity(
    launch_type: str, volume: str, per_host: bool, host_path: str | None, cluster_arn: str | None
) -> None:
    """Host paths and one task per host need EC2 capacity, and EC2 capacity a cluster."""
    if volume == "host" and not host_path:
        raise ConfigError(
            "fioHostPath",
            "is required when fioVolume is host",
            "pulumi config set fioHostPath /mnt/volume-under-test",
        )
    if (volume == "host" or per_host) and launch_type != "EC2":
        raise ConfigError(
            "fioLaunchType",
            "must be EC2 for a host path volume or fioPerHost (Fargate has no container hosts)",
            "pulumi config set fioLaunchType EC2 (and fioClusterArn to a cluster with EC2 "
            "capacity)",
        )
    if per_host and volume == "ebs":
        raise ConfigError(
            "fioVolume",
            "must be host when fioPerHost is true (ECS-managed EBS volumes are not attached "
            "to daemon tasks)",
            "pulumi config set fioVolume host and fioHostPath /mnt/volume-under-test",
        )
    if launch_type == "EC2" and not cluster_arn:
        raise ConfigError(
            "fioClusterArn",
            "is required with EC2 capacity (the cluster whose container hosts are tested)",
            "pulumi config set fioClusterArn arn:aws:ecs:REGION:ACCOUNT:cluster/NAME",
        )


def _read_instance_store(reader: Reader, cluster_arn: str | None) -> InstanceStoreHosts | None:
    """fioInstanceStoreType and fioInstanceStoreMaxHosts; the type's instance store is
    checked against EC2's answer by the component (DescribeInstanceTypes)."""
    from dockyard.fio.instance_store import check_instance_type_name
    from dockyard.fio.jobs import FioError

    max_hosts = reader.integer("fioInstanceStoreMaxHosts", minimum=1, maximum=20)
    instance_type = reader.optional("fioInstanceStoreType")
    if instance_type is None:
        return None
    try:
        check_instance_type_name(instance_type, "fioInstanceStoreType")
    except FioError as err:
        raise ConfigError(
            "fioInstanceStoreType",
            str(err).removeprefix("fioInstanceStoreType "),
            "pulumi config set fioInstanceStoreType m5d.large",
        ) from None
    if cluster_arn is not None:
        raise ConfigError(
            "fioInstanceStoreType",
            "adds hosts to the stack's own cluster, and fioClusterArn names another one",
            "pulumi config rm fioClusterArn (or give that cluster its own instance-store "
            "hosts and pass bench ecs --cluster, --instance-type and --capacity-provider)",
        )
    return InstanceStoreHosts(instance_type, max_hosts)


def read_fio_bench(reader: Reader) -> FioBenchConfig | None:
    """The fio* keys; None unless fioBench is true (the flow is off by default)."""
    from dockyard.fio.ecs import check_ebs
    from dockyard.fio.jobs import FioError, parse_remote
    from dockyard.fio.run import check_plotname

    if not reader.boolean("fioBench"):
        return None
    launch_type = reader.choice("fioLaunchType", ("FARGATE", "EC2"))
    volume = reader.choice("fioVolume", ("ebs", "host"))
    per_host = reader.boolean("fioPerHost")
    host_path = reader.optional("fioHostPath")
    cluster_arn = reader.optional("fioClusterArn")
    _check_capacity(launch_type, volume, per_host, host_path, cluster_arn)
    ebs = EbsVolume(
        volume_type=reader.string("fioEbsType"),
        size_gib=reader.integer("fioEbsSizeGib", minimum=1),
        iops=reader.integer("fioEbsIops", minimum=0) or None,
        throughput=reader.integer("fioEbsThroughput", minimum=0) or None,
    )
    if volume == "ebs":
        problems = check_ebs(ebs)
        if problems:
            raise ConfigError(
                "fioEbsType",
                "; ".join(problems),
                "pick values within AWS's limits for the type (fioEbsType, fioEbsSizeGib, "
                "fioEbsIops, fioEbsThroughput)",
            )
    remotefiles = reader.string_list(
        "fioRemoteFiles", "https URLs", "https://example.com/job.fio#sha256=HEX"
    )
    for entry in remotefiles:
        try:
            parse_remote(entry)
        except FioError as err:
            raise ConfigError(
                "fioRemoteFiles", str(err), "use https URLs, pinned as URL#sha256=HEX"
            ) from None
    # Empty (unset, or the CLI's injected []) runs every download, or the example job.
    jobfiles = reader.string_list("fioJobFiles", "job file names", DEFAULT_JOBFILE) or (
        [] if remotefiles else [DEFAULT_JOBFILE]
    )
    plotname = reader.string("fioPlotName")
    try:
        check_plotname(plotname)
    except FioError as err:
        raise ConfigError(
            "fioPlotName", str(err), "pulumi config set fioPlotName gp3-20g"
        ) from None
    return FioBenchConfig(
        instance_store=_read_instance_store(reader, cluster_arn),
        launch_type=launch_type,
        volume=HostPath(host_path) if volume == "host" and host_path else ebs,
        per_host=per_host,
        jobfiles=tuple(jobfiles),
        remotefiles=tuple(remotefiles),
        plotname=plotname,
        cpu=reader.integer("fioCpu", minimum=128),
        memory=reader.integer("fioMemory", minimum=256),
        cluster_arn=cluster_arn,
        assign_public_ip=reader.boolean("fioAssignPublicIp"),
    )
