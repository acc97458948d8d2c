"""Where the cluster lives (vpcId + subnetIds, or networkStack) and who may administer it.

Only the configuration: the lookups (EC2's subnets, the StackReference) are in
components/network.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config.reader import ConfigError, Reader, check_ids
from dockyard.netrules import open_to_world

SUBNET_EXAMPLE = "subnet-0123456789abcdef0"


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
    give the VPC and subnets (see components.network.referenced_network)."""

    @property
    def world_open_admin_cidrs(self) -> tuple[str, ...]:
        return tuple(c for c in self.admin_cidrs if open_to_world(c))


def subnet_ids(reader: Reader, key: str) -> list[str]:
    """An array key of subnet ids (subnetIds, railsSubnetIds)."""
    return reader.string_list(key, "subnet ids", SUBNET_EXAMPLE)


def read_network(reader: Reader) -> NetworkConfig:
    network_stack = reader.optional("networkStack")
    if network_stack is not None:
        for key, is_set in (
            ("vpcId", reader.optional("vpcId") is not None),
            ("subnetIds", bool(subnet_ids(reader, "subnetIds"))),
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
            admin_cidrs=tuple(reader.cidrs("adminCidrs")),
            network_stack=network_stack,
        )
    vpc_id = reader.require("vpcId", "pulumi config set vpcId vpc-0123456789abcdef0")
    check_ids("vpcId", "vpc-", [vpc_id])
    subnets = subnet_ids(reader, "subnetIds")
    if not subnets:
        raise ConfigError(
            "subnetIds",
            "needs at least one subnet of the VPC",
            f"pulumi config set --path 'subnetIds[0]' {SUBNET_EXAMPLE}",
        )
    check_ids("subnetIds", "subnet-", subnets)
    if len(set(subnets)) != len(subnets):
        raise ConfigError("subnetIds", "lists a subnet twice", "list each subnet once")
    return NetworkConfig(
        vpc_id=vpc_id,
        subnet_ids=tuple(subnets),
        admin_cidrs=tuple(reader.cidrs("adminCidrs")),
    )
