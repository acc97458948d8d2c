"""The stack's configuration: one typed, validated object read from `pulumi.Config`.

Split by concern: reader (typed getters, ConfigError, the known-keys check; Pulumi.yaml
is the schema and the defaults), network, hosts (Docker hosts, Ansible, Flocker), rails
and fio. Nothing here registers a resource or calls an invoke: the lookups the
settings need (the default VPC, EC2's subnets, another stack's outputs, the deployer's
address for `me`) are in the components.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.config.fio import FioBenchConfig, read_fio_bench
from components.config.hosts import (
    AnsibleConfig,
    DockerHostsConfig,
    FlockerConfig,
    read_ansible,
    read_docker_hosts,
    read_flocker,
)
from components.config.network import NetworkConfig, read_network
from components.config.rails import RailsConfig, read_rails
from components.config.reader import NAMESPACE, ConfigError, Reader, check_known_keys

__all__ = [
    "NAMESPACE",
    "AnsibleConfig",
    "ConfigError",
    "DockerHostsConfig",
    "FioBenchConfig",
    "FlockerConfig",
    "NetworkConfig",
    "RailsConfig",
    "Reader",
    "StackConfig",
    "load",
]

_NAME_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


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


def load(reader: Reader | None = None) -> StackConfig:
    """Read and validate the whole stack configuration (a key Pulumi.yaml does not
    declare stops it first)."""
    check_known_keys()
    reader = reader or Reader()
    prefix = reader.string("namePrefix")
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
        and not network.default_vpc
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
