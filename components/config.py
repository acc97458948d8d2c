"""The stack's configuration: one typed, validated object read from `pulumi.Config`.

Every problem stops the program with one message that names the key and the fix
(`ConfigError`, a `pulumi.RunError`, so `pulumi up` prints it without a traceback).
Keys live in the `dockyard` namespace and are documented in Pulumi.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pulumi

from components import PROJECT_DIR
from dockyard import rails_ecs
from dockyard.netrules import CIDR_EXAMPLE, normalize_cidr, open_to_world

NAMESPACE = "dockyard"

T = TypeVar("T")


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key and the fix."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = f"{NAMESPACE}:{key}"
        super().__init__(f"{self.key}: {problem}. Fix: {fix}")


class Reader:
    """Typed getters over `pulumi.Config` that raise ConfigError naming the key."""

    def __init__(self, config: pulumi.Config | None = None) -> None:
        self.config = config or pulumi.Config(NAMESPACE)

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.config.get(key)
        if value is None or value.strip() == "":
            return default
        return value.strip()

    def require(self, key: str, fix: str) -> str:
        value = self.string(key)
        if value is None:
            raise ConfigError(key, "is required but not set", fix)
        return value

    def integer(
        self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        raw = self.string(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(
                key, f"must be a whole number, not {raw!r}", f"pulumi config set {key} {default}"
            ) from None
        if minimum is not None and value < minimum:
            raise ConfigError(
                key,
                f"must be at least {minimum} (got {value})",
                f"pulumi config set {key} {minimum}",
            )
        if maximum is not None and value > maximum:
            raise ConfigError(
                key,
                f"must be at most {maximum} (got {value})",
                f"pulumi config set {key} {maximum}",
            )
        return value

    def boolean(self, key: str, default: bool) -> bool:
        raw = self.string(key)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
        raise ConfigError(
            key, f"must be true or false, not {raw!r}", f"pulumi config set {key} true"
        )

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.string(key, default)
        assert value is not None
        if value not in choices:
            raise ConfigError(
                key,
                f"must be one of {', '.join(choices)} (got {value!r})",
                f"pulumi config set {key} {default}",
            )
        return value

    def _object(self, key: str) -> Any:
        try:
            return self.config.get_object(key)
        except (pulumi.config.ConfigTypeError, ValueError):
            raise ConfigError(
                key, "is not valid YAML/JSON", f"pulumi config set --path '{key}[0]' VALUE"
            ) from None

    def string_list(self, key: str, default: Sequence[str] = ()) -> list[str]:
        value = self._object(key)
        if value is None:
            return list(default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(
                key,
                "must be a list of strings",
                f"pulumi config set --path '{key}[0]' VALUE (one entry per index)",
            )
        return list(value)

    def string_map(self, key: str) -> dict[str, str]:
        value = self._object(key)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(
                key, "must be a map of strings", f"pulumi config set --path '{key}.NAME' VALUE"
            )
        return dict(value)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self._object(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(key, "must be a map", f"pulumi config set --path '{key}.NAME' VALUE")
        return dict(value)

    def secret(self, key: str) -> pulumi.Output[str] | None:
        if self.string(key) is None:
            return None
        return self.config.require_secret(key)

    def is_set(self, key: str) -> bool:
        return self.string(key) is not None


def _prefixed_ids(reader: Reader, key: str, prefix: str, values: Sequence[str]) -> None:
    for value in values:
        if not value.startswith(prefix):
            raise ConfigError(
                key, f"{value!r} is not an id of the form {prefix}...", f"use ids like {prefix}0abc"
            )


def read_cidrs(reader: Reader, key: str) -> list[str]:
    cidrs: list[str] = []
    for value in reader.string_list(key):
        try:
            cidrs.append(normalize_cidr(value))
        except ValueError as err:
            raise ConfigError(key, str(err), CIDR_EXAMPLE) from None
    return cidrs


@dataclass(frozen=True)
class NetworkConfig:
    """Where the cluster lives and who may administer it."""

    vpc_id: str
    """Empty when `network_stack` is set (the VPC comes from that stack's outputs)."""
    subnet_ids: tuple[str, ...]
    """Empty when `network_stack` is set."""
    admin_cidrs: tuple[str, ...]
    network_stack: str | None = None
    """`dockyard:networkStack`: another project's stack whose outputs vpcId and subnetIds
    give the VPC and subnets (see `referenced_network`)."""

    @property
    def world_open_admin_cidrs(self) -> tuple[str, ...]:
        return tuple(c for c in self.admin_cidrs if open_to_world(c))


@dataclass(frozen=True)
class DockerHostsConfig:
    """Flow 1: the Docker hosts (what Docker Machine's amazonec2 driver made)."""

    count: int
    instance_type: str
    ami_id: str | None
    key_name: str | None
    ssh_public_key: str | None
    root_volume_size: int
    public_ip: bool


@dataclass(frozen=True)
class AnsibleConfig:
    """How the hosts are handed to Ansible."""

    run: bool
    playbook: str
    """Relative to the project directory (or absolute)."""
    user: str
    address: str
    """`public` or `private`: the address Ansible connects to."""
    private_key_path: str | None
    known_hosts_file: str
    extra_vars: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FlockerConfig:
    """The `dataset` section of Flocker's agent.yml."""

    region: str
    zone: str | None
    """None: the control host's availability zone."""
    access_key_id: pulumi.Output[str] | None
    secret_access_key: pulumi.Output[str] | None


@dataclass(frozen=True)
class RailsConfig:
    """Flow 3: the seed's Rails + MySQL containers on ECS (off unless `rails` is true)."""

    capacity: str
    """`ec2` (an Auto Scaling group on the ECS-optimized AMI) or `fargate`."""
    instance_type: str
    instance_count: int
    root_volume_size: int
    subnet_ids: tuple[str, ...]
    """Subnets for the tasks, the EFS mount targets and the load balancer (2+ zones)."""
    assign_public_ip: bool
    ingress_cidrs: tuple[str, ...]
    """Who may reach the load balancer on port 80."""
    web_image: str | None
    """An existing image for the web task; None builds containers/rails and pushes it to ECR."""
    app_source: str
    """APP_SRC build argument: the app's directory inside containers/rails."""
    db_image: str | None
    """An existing MySQL/MariaDB image; None builds containers/mysql and pushes it to ECR."""
    web_cpu: int
    web_memory: int
    db_cpu: int
    db_memory: int
    desired_count: int
    db_wait_timeout: int
    log_retention_days: int


@dataclass(frozen=True)
class FioBenchConfig:
    """Flow 2: fio benchmarks on ECS against the volume under test."""

    launch_type: str
    """FARGATE or EC2."""
    volume: str
    """ebs (an ECS-managed EBS volume per task) or host (a directory on EC2 capacity)."""
    ebs_type: str
    ebs_size_gib: int
    ebs_iops: int | None
    ebs_throughput: int | None
    host_path: str | None
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


@dataclass(frozen=True)
class StackConfig:
    """Everything the program reads from the stack's configuration."""

    project: str
    stack: str
    name_prefix: str
    tags: Mapping[str, str]
    network: NetworkConfig
    docker_hosts: DockerHostsConfig | None
    ansible: AnsibleConfig
    flocker: FlockerConfig
    rails: RailsConfig | None = None
    fio_bench: FioBenchConfig | None = None

    @property
    def base_tags(self) -> dict[str, str]:
        """Tags every taggable resource carries."""
        return {
            "Project": self.project,
            "Stack": self.stack,
            "ManagedBy": "pulumi",
            **self.tags,
        }


_NAME_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


def read_network(reader: Reader) -> NetworkConfig:
    network_stack = reader.string("networkStack")
    if network_stack is not None:
        for key, is_set in (
            ("vpcId", reader.is_set("vpcId")),
            ("subnetIds", bool(reader.string_list("subnetIds"))),
        ):
            if is_set:
                raise ConfigError(
                    key,
                    f"is set together with networkStack ({network_stack}), which supplies it",
                    f"pulumi config rm {key}, or pulumi config rm networkStack",
                )
        if network_stack.count("/") != 2:
            raise ConfigError(
                "networkStack",
                f"{network_stack!r} is not a fully qualified stack name",
                "pulumi config set networkStack ORGANIZATION/PROJECT/STACK",
            )
        return NetworkConfig(
            vpc_id="",
            subnet_ids=(),
            admin_cidrs=tuple(read_cidrs(reader, "adminCidrs")),
            network_stack=network_stack,
        )
    vpc_id = reader.require("vpcId", "pulumi config set vpcId vpc-0123456789abcdef0")
    _prefixed_ids(reader, "vpcId", "vpc-", [vpc_id])
    subnet_ids = reader.string_list("subnetIds")
    if not subnet_ids:
        raise ConfigError(
            "subnetIds",
            "needs at least one subnet of the VPC",
            "pulumi config set --path 'subnetIds[0]' subnet-0123456789abcdef0",
        )
    _prefixed_ids(reader, "subnetIds", "subnet-", subnet_ids)
    if len(set(subnet_ids)) != len(subnet_ids):
        raise ConfigError("subnetIds", "lists a subnet twice", "list each subnet once")
    return NetworkConfig(
        vpc_id=vpc_id,
        subnet_ids=tuple(subnet_ids),
        admin_cidrs=tuple(read_cidrs(reader, "adminCidrs")),
    )


def read_docker_hosts(reader: Reader) -> DockerHostsConfig | None:
    if not reader.boolean("dockerHosts", True):
        return None
    key_name = reader.string("keyName")
    public_key = reader.string("sshPublicKey")
    if bool(key_name) == bool(public_key):
        raise ConfigError(
            "sshPublicKey",
            "set exactly one of sshPublicKey (a key pair is created) or keyName (an existing "
            "EC2 key pair)",
            'pulumi config set sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"',
        )
    if public_key and not re.match(
        r"^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+", public_key
    ):
        raise ConfigError(
            "sshPublicKey",
            "is not an OpenSSH public key",
            "paste the one line of a .pub file (ssh-ed25519 AAAA... or ssh-rsa AAAA...)",
        )
    ami_id = reader.string("amiId")
    if ami_id:
        _prefixed_ids(reader, "amiId", "ami-", [ami_id])
    return DockerHostsConfig(
        count=reader.integer("hostCount", 3, minimum=1, maximum=100),
        instance_type=reader.string("instanceType", "t3.medium") or "t3.medium",
        ami_id=ami_id,
        key_name=key_name,
        ssh_public_key=public_key,
        root_volume_size=reader.integer("rootVolumeSize", 30, minimum=8, maximum=16384),
        public_ip=reader.boolean("publicIp", True),
    )


def read_ansible(reader: Reader, stack: str, hosts: DockerHostsConfig | None) -> AnsibleConfig:
    run = reader.boolean("runAnsible", True) and hosts is not None
    playbook = reader.string("playbook", "ansible/site.yml") or "ansible/site.yml"
    address = reader.choice("ansibleAddress", ("public", "private"), "public")
    key_path = reader.string("sshPrivateKeyPath")
    if run:
        playbook_path = Path(playbook) if Path(playbook).is_absolute() else PROJECT_DIR / playbook
        if not playbook_path.is_file():
            raise ConfigError(
                "playbook",
                f"{playbook} does not exist",
                "point it at a playbook file (relative to the project directory), e.g. "
                "ansible/site.yml",
            )
        if key_path is None:
            raise ConfigError(
                "sshPrivateKeyPath",
                "is required when runAnsible is true (Ansible logs in with it)",
                "pulumi config set sshPrivateKeyPath ~/.ssh/id_ed25519, or runAnsible false",
            )
        if not Path(key_path).expanduser().is_file():
            raise ConfigError(
                "sshPrivateKeyPath",
                f"{key_path} does not exist",
                "point it at the private key matching sshPublicKey / keyName",
            )
        if address == "public" and hosts is not None and not hosts.public_ip:
            raise ConfigError(
                "ansibleAddress",
                "is public but publicIp is false, so the hosts have no public address",
                "pulumi config set ansibleAddress private (run Ansible from inside the VPC), "
                "or publicIp true",
            )
    return AnsibleConfig(
        run=run,
        playbook=playbook,
        user=reader.string("ansibleUser", "ubuntu") or "ubuntu",
        address=address,
        private_key_path=key_path,
        known_hosts_file=reader.string("knownHostsFile", f"~/.ssh/dockyard-{stack}.known_hosts")
        or "",
        extra_vars=reader.mapping("ansibleExtraVars"),
    )


def read_flocker(reader: Reader) -> FlockerConfig:
    region = reader.string("flockerRegion") or pulumi.Config("aws").get("region")
    if not region:
        raise ConfigError(
            "flockerRegion",
            "is not set and neither is aws:region",
            "pulumi config set aws:region us-east-1 (or dockyard:flockerRegion)",
        )
    zone = reader.string("flockerZone")
    if zone and not (len(zone) == 1 or zone.startswith(region)):
        raise ConfigError(
            "flockerZone",
            f"{zone} is not a zone of {region}",
            f"use a zone letter (a) or a zone of {region} ({region}a)",
        )
    access = reader.secret("flockerAccessKeyId")
    secret = reader.secret("flockerSecretAccessKey")
    if (access is None) != (secret is None):
        missing = "flockerSecretAccessKey" if secret is None else "flockerAccessKeyId"
        raise ConfigError(
            missing,
            "is needed with its pair: set both Flocker credentials or neither (then "
            "Flocker uses the instance role)",
            f"pulumi config set --secret {missing} VALUE",
        )
    return FlockerConfig(region=region, zone=zone, access_key_id=access, secret_access_key=secret)


# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip


def read_rails(reader: Reader, network: NetworkConfig) -> RailsConfig | None:
    """Flow 3's section; None unless `rails` is true."""
    if not reader.boolean("rails", False):
        return None
    subnet_ids = reader.string_list("railsSubnetIds") or list(network.subnet_ids)
    _prefixed_ids(reader, "railsSubnetIds", "subnet-", subnet_ids)
    if len(set(subnet_ids)) < 2:
        raise ConfigError(
            "railsSubnetIds",
            "needs at least two subnets (in two availability zones) for the load balancer",
            "pulumi config set --path 'railsSubnetIds[1]' subnet-0123456789abcdef1 "
            "(or list two in subnetIds; with networkStack, list them in railsSubnetIds)",
        )
    cidrs = reader.string_list("railsIngressCidrs") or ["0.0.0.0/0"]
    ingress: list[str] = []
    for value in cidrs:
        try:
            ingress.append(normalize_cidr(value))
        except ValueError as err:
            raise ConfigError("railsIngressCidrs", str(err), CIDR_EXAMPLE) from None
    app_source = reader.string("railsAppSource", "sample") or "sample"
    source_dir = (PROJECT_DIR / "containers" / "rails" / app_source).resolve()
    web_image = reader.string("railsImage")
    if web_image is None and not (
        source_dir.is_relative_to(PROJECT_DIR / "containers" / "rails")
        and (source_dir / "Gemfile").is_file()
    ):
        raise ConfigError(
            "railsAppSource",
            f"containers/rails/{app_source} holds no Gemfile (the build context is "
            "containers/rails)",
            "put the app under containers/rails/ and name its directory, e.g. sample",
        )
    retention = reader.integer("railsLogRetentionDays", 30)
    if retention not in LOG_RETENTION_DAYS:
        raise ConfigError(
            "railsLogRetentionDays",
            f"{retention} is not a retention CloudWatch Logs accepts",
            f"use one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )
    web_cpu = reader.integer("railsCpu", rails_ecs.SEED_CPU, minimum=0, maximum=10240)
    web_memory = reader.integer(
        "railsMemory",
        rails_ecs.SEED_MEMORY_MIB,
        minimum=rails_ecs.MIN_CONTAINER_MEMORY_MIB,
        maximum=30720,
    )
    return RailsConfig(
        capacity=reader.choice("railsCapacity", ("ec2", "fargate"), "ec2"),
        instance_type=reader.string("railsInstanceType", "t3.small") or "t3.small",
        instance_count=reader.integer("railsInstanceCount", 1, minimum=1, maximum=20),
        root_volume_size=reader.integer("railsRootVolumeSize", 30, minimum=30, maximum=16384),
        subnet_ids=tuple(subnet_ids),
        assign_public_ip=reader.boolean("railsAssignPublicIp", False),
        ingress_cidrs=tuple(ingress),
        web_image=web_image,
        app_source=app_source,
        db_image=reader.string("railsDbImage"),
        web_cpu=web_cpu,
        web_memory=web_memory,
        db_cpu=reader.integer("railsDbCpu", rails_ecs.SEED_CPU, minimum=0, maximum=10240),
        db_memory=reader.integer(
            "railsDbMemory",
            rails_ecs.SEED_MEMORY_MIB,
            minimum=rails_ecs.MIN_CONTAINER_MEMORY_MIB,
            maximum=30720,
        ),
        desired_count=reader.integer("railsDesiredCount", 1, minimum=0, maximum=100),
        db_wait_timeout=reader.integer("railsDbWaitTimeout", 120, minimum=5, maximum=3600),
        log_retention_days=retention,
    )


def read_fio_bench(reader: Reader) -> FioBenchConfig | None:
    """The fioBench* keys; None unless fioBench is true (the flow is off by default)."""
    from dockyard.fio.ecs import EbsVolume, check_ebs
    from dockyard.fio.jobs import FioError, parse_remote
    from dockyard.fio.run import check_plotname

    if not reader.boolean("fioBench", False):
        return None
    launch_type = reader.choice("fioLaunchType", ("FARGATE", "EC2"), "FARGATE")
    volume = reader.choice("fioVolume", ("ebs", "host"), "ebs")
    per_host = reader.boolean("fioPerHost", False)
    host_path = reader.string("fioHostPath")
    cluster_arn = reader.string("fioClusterArn")
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
    ebs = EbsVolume(
        volume_type=reader.string("fioEbsType", "gp3") or "gp3",
        size_gib=reader.integer("fioEbsSizeGib", 20, minimum=1),
        iops=reader.integer("fioEbsIops", 0, minimum=0) or None,
        throughput=reader.integer("fioEbsThroughput", 0, minimum=0) or None,
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
    remotefiles = reader.string_list("fioRemoteFiles")
    for entry in remotefiles:
        try:
            parse_remote(entry)
        except FioError as err:
            raise ConfigError(
                "fioRemoteFiles", str(err), "use https URLs, pinned as URL#sha256=HEX"
            ) from None
    jobfiles = reader.string_list("fioJobFiles", () if remotefiles else ("randread-4k.fio",))
    plotname = reader.string("fioPlotName", "ecs") or "ecs"
    try:
        check_plotname(plotname)
    except FioError as err:
        raise ConfigError(
            "fioPlotName", str(err), "pulumi config set fioPlotName gp3-20g"
        ) from None
    return FioBenchConfig(
        launch_type=launch_type,
        volume=volume,
        ebs_type=ebs.volume_type,
        ebs_size_gib=ebs.size_gib,
        ebs_iops=ebs.iops,
        ebs_throughput=ebs.throughput,
        host_path=host_path,
        per_host=per_host,
        jobfiles=tuple(jobfiles),
        remotefiles=tuple(remotefiles),
        plotname=plotname,
        cpu=reader.integer("fioCpu", 512, minimum=128),
        memory=reader.integer("fioMemory", 1024, minimum=256),
        cluster_arn=cluster_arn,
        assign_public_ip=reader.boolean("fioAssignPublicIp", True),
    )


def load() -> StackConfig:
    """Read and validate the whole stack configuration."""
    reader = Reader()
    prefix = reader.string("namePrefix", "my-prefix") or "my-prefix"
    if not _NAME_PREFIX.match(prefix):
        raise ConfigError(
            "namePrefix",
            f"{prefix!r} is not a usable name prefix",
            "use letters, digits and dashes, at most 32, e.g. my-prefix",
        )
    stack = pulumi.get_stack()
    hosts = read_docker_hosts(reader)
    network = read_network(reader)
    fio_bench = read_fio_bench(reader)
    if (
        fio_bench is not None
        and not fio_bench.per_host
        and network.network_stack is None
        and len(network.subnet_ids) < 2
    ):
        raise ConfigError(
            "subnetIds",
            "needs two subnets in different zones for the fio plots' load balancer",
            "pulumi config set --path 'subnetIds[1]' subnet-... (a second zone)",
        )
    return StackConfig(
        project=pulumi.get_project(),
        stack=stack,
        name_prefix=prefix,
        tags=reader.string_map("tags"),
        network=network,
        docker_hosts=hosts,
        ansible=read_ansible(reader, stack, hosts),
        flocker=read_flocker(reader),
        rails=read_rails(reader, network),
        fio_bench=fio_bench,
    )
