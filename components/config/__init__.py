"""The stack's configuration: one typed, validated object read from `pulumi.Config`.

Split by concern: reader (typed getters, ConfigError, the known-keys check; Pulumi.yaml
is the schema and the defaults), network, hosts (Docker hosts, Ansible, Flocker), rails
and fio. Nothing here registers a resource or calls an invoke: the lookups the
settings need (the default VPC, EC2's subnets, another stack's outputs, the deployer's
address for `me`) are in the components.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from botocore.exceptions import InvalidRegionError
from botocore.utils import validate_region_name

from components.config.fio import FioBenchConfig, read_fio_bench
from components.config.hosts import (
    AnsibleConfig,
    DockerHostsConfig,
    FlockerConfig,
    read_ansible,
    read_docker_hosts,
    read_flocker,
)
from components.config.names import check_names
from components.config.network import NetworkConfig, read_network, require_two_zones
from components.config.rails import RailsConfig, read_rails
from components.config.reader import NAMESPACE, ConfigError, Reader, check_known_keys
from dockyard.terminal import printable

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


@dataclass(frozen=True)
class StackConfig:
    """Everything the program reads from the stack's configuration."""

    project: str
    stack: str
    region: str
    """The stack's region (aws:region): where the AWS provider makes every resource."""
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


def read_region() -> str:
    """The stack's region as the AWS provider takes it: aws:region, else AWS_REGION or
    AWS_DEFAULT_REGION; checked as botocore checks a region name."""
    region = (
        pulumi.Config("aws").get("region")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )
    if not region:
        raise ConfigError(
            "aws:region",
            "is not set, nor AWS_REGION or AWS_DEFAULT_REGION",
            "pulumi config set aws:region us-east-1",
        )
    try:
        validate_region_name(region)
    except InvalidRegionError:
        raise ConfigError(
            "aws:region",
            f"{printable(region)[:60]!r} is not a region name",
            "pulumi config set aws:region us-east-1 (a region's code, as `aws ec2 "
            "describe-regions` lists them)",
        ) from None
    return region


def load(reader: Reader | None = None) -> StackConfig:
    """Read and validate the whole stack configuration (a key Pulumi.yaml does not
    declare stops it first)."""
    check_known_keys()
    reader = reader or Reader()
    prefix = reader.string("namePrefix")
    stack = pulumi.get_stack()
    check_names(prefix, stack)
    region = read_region()
    hosts = read_docker_hosts(reader)
    network = read_network(reader)
    fio_bench = read_fio_bench(reader)
    if (
        fio_bench is not None
        and not fio_bench.per_host
        and network.network_stack is None
        and not network.default_vpc
    ):
        require_two_zones(
            "subnetIds", "the fio plots' load balancer", network.subnet_ids, holder="it lists"
        )
    return StackConfig(
        project=pulumi.get_project(),
        stack=stack,
        region=region,
        name_prefix=prefix,
        tags=reader.string_map("tags"),
        network=network,
        docker_hosts=hosts,
        ansible=read_ansible(reader, stack, hosts),
        flocker=read_flocker(reader, region, hosts is not None),
        rails=read_rails(reader, network),
        fio_bench=fio_bench,
    )
