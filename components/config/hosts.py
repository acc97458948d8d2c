"""Flow 1's settings: the Docker hosts, their hand-off to Ansible, and Flocker's agent.yml."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from components import PROJECT_DIR
from components.config.reader import ConfigError, Reader, check_ids
from dockyard.hosts.qos import EXAMPLE as QOS_EXAMPLE
from dockyard.hosts.qos import QosError, QosRule, parse_rules
from dockyard.hosts.qos import role_vars as qos_role_vars
from dockyard.hosts.tuning import HostTuning, TuningError, parse_tuning

OPENSSH_PUBLIC_KEY = re.compile(r"^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+")


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
    ssm: bool = False
    """AmazonSSMManagedInstanceCore on the instance role: reachable through Session Manager."""
    threads_per_core: int | None = None
    """hostTuning.threadsPerCore: EC2 CPU options (None: the instance type's default)."""
    core_count: int | None = None
    """hostTuning.coreCount, set together with threads_per_core."""

    @property
    def generates_key(self) -> bool:
        """Neither keyName nor sshPublicKey: the stack generates the SSH key."""
        return not (self.key_name or self.ssh_public_key)


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
    """sshPrivateKeyPath, checked by run-playbook.sh when it runs (not here: a preview
    must not need a file only the operator's machine has)."""
    private_key: pulumi.Output[str] | None
    """sshPrivateKey (secret config). With neither, the stack's generated key."""
    known_hosts_file: str
    extra_vars: Mapping[str, Any] = field(default_factory=dict)
    host_tuning: HostTuning = field(default_factory=HostTuning)
    """hostTuning's kernel settings (the host_tuning role)."""
    qos_rules: tuple[QosRule, ...] = ()
    """hostQos, sorted by name (the traffic_qos role)."""
    ssm: bool = False
    """The hosts' `ssm` switch: Ansible connects through Session Manager."""

    @property
    def role_vars(self) -> dict[str, Any]:
        """The host_tuning and traffic_qos roles' variables from hostTuning and hostQos,
        those that differ from the roles' defaults (unset: the playbook run is as before)."""
        every = {**self.host_tuning.role_vars(), **qos_role_vars(self.qos_rules)}
        return {name: value for name, value in every.items() if value not in ("", {}, [])}


@dataclass(frozen=True)
class FlockerConfig:
    """The `dataset` section of Flocker's agent.yml."""

    region: str
    zone: str | None
    """None: each host's own availability zone."""
    access_key_id: pulumi.Output[str] | None
    secret_access_key: pulumi.Output[str] | None


def read_docker_hosts(reader: Reader) -> DockerHostsConfig | None:
    if not reader.boolean("dockerHosts"):
        return None
    key_name = reader.optional("keyName")
    public_key = reader.optional("sshPublicKey")
    if key_name and public_key:
        raise ConfigError(
            "sshPublicKey",
            "is set together with keyName: set at most one of sshPublicKey (a key pair is "
            "created) or keyName (an existing EC2 key pair); with neither a key is generated",
            "pulumi config rm sshPublicKey, or pulumi config rm keyName",
        )
    if public_key and not OPENSSH_PUBLIC_KEY.match(public_key):
        raise ConfigError(
            "sshPublicKey",
            "is not an OpenSSH public key",
            "paste the one line of a .pub file (ssh-ed25519 AAAA... or ssh-rsa AAAA...)",
        )
    ami_id = reader.optional("amiId")
    if ami_id:
        check_ids("amiId", "ami-", [ami_id])
    return DockerHostsConfig(
        count=reader.integer("hostCount", minimum=1, maximum=100),
        instance_type=reader.string("instanceType"),
        ami_id=ami_id,
        key_name=key_name,
        ssh_public_key=public_key,
        root_volume_size=reader.integer("rootVolumeSize", minimum=8, maximum=16384),
        public_ip=reader.boolean("publicIp"),
        ssm=reader.boolean("ssm"),
        threads_per_core=read_host_tuning(reader).threads_per_core,
        core_count=read_host_tuning(reader).core_count,
    )


def read_host_tuning(reader: Reader) -> HostTuning:
    """hostTuning, checked (a bad field names hostTuning.FIELD)."""
    value = reader.mapping("hostTuning", "{swappiness: 10, transparentHugePages: madvise}")
    try:
        return parse_tuning(value)
    except TuningError as err:
        raise ConfigError(
            "hostTuning",
            f"{err.where} {err.problem}",
            f"{err.fix} (pulumi config set --path 'hostTuning.{err.where}' VALUE; "
            "docs/host-tuning.md lists the settings)",
        ) from None


def read_host_qos(reader: Reader) -> tuple[QosRule, ...]:
    """hostQos, checked (a bad rule names hostQos.RULE[.FIELD])."""
    value = reader.mapping("hostQos", QOS_EXAMPLE.removeprefix("hostQos: "))
    try:
        return tuple(parse_rules(value))
    except QosError as err:
        raise ConfigError(
            "hostQos",
            f"{err.where} {err.problem}",
            f"{err.fix} (a rule is written like {QOS_EXAMPLE}; docs/host-tuning.md)",
        ) from None


def read_ansible(reader: Reader, stack: str, hosts: DockerHostsConfig | None) -> AnsibleConfig:
    run = reader.boolean("runAnsible") and hosts is not None
    playbook = reader.string("playbook")
    address = reader.choice("ansibleAddress", ("public", "private"))
    key_path = reader.optional("sshPrivateKeyPath")
    key = reader.secret("sshPrivateKey")
    if key_path is not None and key is not None:
        raise ConfigError(
            "sshPrivateKey",
            "is set together with sshPrivateKeyPath: give the key one way",
            "pulumi config rm sshPrivateKeyPath (CI), or pulumi config rm sshPrivateKey",
        )
    given = "sshPrivateKeyPath" if key_path is not None else "sshPrivateKey"
    if run:
        playbook_path = Path(playbook) if Path(playbook).is_absolute() else PROJECT_DIR / playbook
        if not playbook_path.is_file():
            raise ConfigError(
                "playbook",
                f"{playbook} does not exist",
                "point it at a playbook file (relative to the project directory), e.g. "
                "ansible/site.yml",
            )
        assert hosts is not None
        if hosts.generates_key and (key_path is not None or key is not None):
            raise ConfigError(
                given,
                "is set, but neither sshPublicKey nor keyName is, so the stack generates its "
                "own key and Ansible logs in with that",
                f"pulumi config set sshPublicKey to the matching public key, or pulumi config "
                f"rm {given}",
            )
        if not hosts.generates_key and key_path is None and key is None:
            raise ConfigError(
                "sshPrivateKeyPath",
                "is required when runAnsible is true and the key pair is yours (sshPublicKey "
                "or keyName): Ansible logs in with its private key",
                "pulumi config set sshPrivateKeyPath ~/.ssh/id_ed25519, or pulumi config set "
                "--secret sshPrivateKey < KEYFILE (CI), or runAnsible false",
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
        user=reader.string("ansibleUser"),
        address=address,
        private_key_path=key_path,
        private_key=key,
        known_hosts_file=reader.optional("knownHostsFile")
        or f"~/.ssh/dockyard-{stack}.known_hosts",
        extra_vars=reader.mapping("ansibleExtraVars", "{flocker_agent_config_dir: /etc/flocker}"),
        host_tuning=read_host_tuning(reader),
        qos_rules=read_host_qos(reader),
        ssm=hosts is not None and hosts.ssm,
    )


def read_flocker(reader: Reader, stack_region: str, hosts: bool = True) -> FlockerConfig:
    """Flocker's dataset settings; its region is the stack's unless flockerRegion says.

    With Docker hosts (`hosts`), setting flockerRegion or flockerZone says the stack runs
    Flocker: then the instance
    role (no access keys) is refused, because the hosts require IMDSv2
    (components/hosts/docker_hosts.py metadata_options) and Flocker 1.x reads the
    instance metadata with boto 2, which predates IMDSv2 (docs/hosts-and-ansible.md)."""
    region_set = reader.optional("flockerRegion")
    region = region_set or stack_region
    zone = reader.optional("flockerZone")
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
    given = [k for k, v in (("flockerRegion", region_set), ("flockerZone", zone)) if v]
    if hosts and given and access is None:
        raise ConfigError(
            "flockerAccessKeyId",
            f"is not set while {' and '.join(given)} {'is' if len(given) == 1 else 'are'} "
            "(the stack runs Flocker), so Flocker would use the instance role; the hosts "
            "require IMDSv2 and Flocker 1.x's boto 2 cannot read the role's credentials "
            "through it",
            "give Flocker an IAM user's key: pulumi config set --secret flockerAccessKeyId "
            "AKIA... and pulumi config set --secret flockerSecretAccessKey ...; or, if the "
            f"stack does not run Flocker, pulumi config rm {' and '.join(given)}",
        )
    return FlockerConfig(region=region, zone=zone, access_key_id=access, secret_access_key=secret)


def check_flocker_zone(flocker: FlockerConfig, host_zones: Sequence[tuple[str, str]]) -> None:
    """flockerZone writes one zone into every host's agent.yml, and an EBS volume attaches
    only in its zone: ConfigError naming flockerZone unless every host ((subnet, zone),
    as placed) is in that zone."""
    if not flocker.zone or not host_zones:
        return
    zone = flocker.region + flocker.zone if len(flocker.zone) == 1 else flocker.zone
    elsewhere = sorted({f"{subnet} ({z})" for subnet, z in host_zones if z != zone})
    if elsewhere:
        zones = sorted({z for _, z in host_zones})
        raise ConfigError(
            "flockerZone",
            f"is {zone} for every host's agent.yml, but the {len(host_zones)} hosts are "
            f"placed in {', '.join(zones)}; outside {zone}: {', '.join(elsewhere)}",
            "pulumi config rm flockerZone (each host's agent.yml then names its own zone), "
            f"or list only subnets of {zone} in subnetIds",
        )
