"""Flow 1's settings: the Docker hosts, their hand-off to Ansible, and Flocker's agent.yml."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from components import PROJECT_DIR
from components.config.reader import ConfigError, Reader, check_ids

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
    """None: each host's own availability zone."""
    access_key_id: pulumi.Output[str] | None
    secret_access_key: pulumi.Output[str] | None


def read_docker_hosts(reader: Reader) -> DockerHostsConfig | None:
    if not reader.boolean("dockerHosts"):
        return None
    key_name = reader.optional("keyName")
    public_key = reader.optional("sshPublicKey")
    if bool(key_name) == bool(public_key):
        raise ConfigError(
            "sshPublicKey",
            "set exactly one of sshPublicKey (a key pair is created) or keyName (an existing "
            "EC2 key pair)",
            'pulumi config set sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"',
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
    )


def read_ansible(reader: Reader, stack: str, hosts: DockerHostsConfig | None) -> AnsibleConfig:
    run = reader.boolean("runAnsible") and hosts is not None
    playbook = reader.string("playbook")
    address = reader.choice("ansibleAddress", ("public", "private"))
    key_path = reader.optional("sshPrivateKeyPath")
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
        user=reader.string("ansibleUser"),
        address=address,
        private_key_path=key_path,
        known_hosts_file=reader.optional("knownHostsFile")
        or f"~/.ssh/dockyard-{stack}.known_hosts",
        extra_vars=reader.mapping("ansibleExtraVars", "{flocker_agent_config_dir: /etc/flocker}"),
    )


def read_flocker(reader: Reader) -> FlockerConfig:
    region = reader.optional("flockerRegion") or pulumi.Config("aws").get("region")
    if not region:
        raise ConfigError(
            "flockerRegion",
            "is not set and neither is aws:region",
            "pulumi config set aws:region us-east-1 (or dockyard:flockerRegion)",
        )
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
    return FlockerConfig(region=region, zone=zone, access_key_id=access, secret_access_key=secret)
