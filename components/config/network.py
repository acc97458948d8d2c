"""Where the cluster lives (vpcId + subnetIds, networkStack, or the account's default VPC)
and who may administer it.

Only the configuration: the lookups (the default VPC, EC2's subnets, the StackReference,
the deployer's address for `me`) are in components/shared/network.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from components.config.reader import ConfigError, Reader, check_ids
from dockyard.checkip import ME
from dockyard.netrules import open_to_world

SUBNET_EXAMPLE = "subnet-0123456789abcdef0"
PLACEHOLDER_ID = re.compile(r"(?:vpc|subnet)-0fe0{10,}[0-9a-f]{1,2}")
"""The example stacks' placeholder ids (stacks/Pulumi.prod.yaml: vpc-0fe00000000000001,
subnet-0fe000000000000a1...): "0fe" and zeros, never an id EC2 hands out in practice."""


def refuse_placeholders(key: str, ids: Sequence[str]) -> None:
    """ConfigError naming `key` and the placeholder ids among `ids` (full match)."""
    found = [i for i in ids if PLACEHOLDER_ID.fullmatch(i)]
    if found:
        plural = "s" if len(found) > 1 else ""
        raise ConfigError(
            key,
            f"holds the example stack's placeholder{plural} {', '.join(found)}",
            f"replace {'them' if plural else 'it'} with your own: "
            + (
                "pulumi config set vpcId vpc-... (aws ec2 describe-vpcs)"
                if key == "vpcId"
                else f"pulumi config set --path '{key}[0]' subnet-... and so on, one per zone "
                "(aws ec2 describe-subnets --filters Name=vpc-id,Values=VPC)"
            ),
        )


def require_two_zones(
    key: str, purpose: str, subnets: Sequence[object], *, holder: str, fix: str = ""
) -> None:
    """The one statement of the rule that a load balancer (and EFS, a mount target per
    zone) needs subnets in two availability zones: ConfigError naming `key` when
    `subnets` (what `holder` lists) are fewer than two."""
    count = len(set(subnets))
    if count >= 2:
        return
    raise ConfigError(
        key,
        f"{purpose} needs subnets in two zones, and {holder} {count} "
        f"subnet{'' if count == 1 else 's'}",
        fix or f"pulumi config set --path '{key}[1]' {SUBNET_EXAMPLE} (a subnet in a second zone)",
    )


def require_distinct_zones(
    key: str,
    purpose: str,
    zones: Sequence[tuple[str, str]],
    *,
    holder: str,
    fix: str = "",
) -> None:
    """A load balancer (one subnet per zone) and EFS (one mount target per zone) need each
    subnet in a zone of its own, and two zones or more: ConfigError naming `key`, the
    subnets and their zone when two of `zones` ((subnet, its zone), what `holder` lists)
    share one, else require_two_zones."""
    seen: dict[str, str] = {}
    for subnet, zone in zones:
        if seen.get(zone, subnet) != subnet:
            raise ConfigError(
                key,
                f"{purpose} needs each subnet in a zone of its own, and {holder} "
                f"{seen[zone]} and {subnet}, both in {zone}",
                fix
                or f"list one subnet per zone in {key} (aws ec2 describe-subnets --subnet-ids "
                "ID... --query 'Subnets[].[SubnetId,AvailabilityZone]' shows their zones)",
            )
        seen[zone] = subnet
    require_two_zones(key, purpose, list(seen.values()), holder=holder, fix=fix)


@dataclass(frozen=True)
class NetworkConfig:
    """Where the cluster lives and who may administer it."""

    vpc_id: str
    """Empty when `network_stack` is set (the VPC comes from that stack's outputs) and for
    the default VPC."""
    subnet_ids: tuple[str, ...]
    """Empty when `network_stack` is set and for the default VPC."""
    admin_cidrs: tuple[str, ...]
    """CIDRs in canonical form, and `me` (components.shared.network resolves it)."""
    network_stack: str | None = None
    """`dockyard:networkStack`: another project's stack whose outputs vpcId and subnetIds
    give the VPC and subnets (see components.shared.network.referenced_network)."""

    @property
    def default_vpc(self) -> bool:
        """Neither vpcId/subnetIds nor networkStack: the account's default VPC."""
        return self.network_stack is None and not self.vpc_id

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
            admin_cidrs=admin_cidrs(reader),
            network_stack=network_stack,
        )
    vpc_id = reader.optional("vpcId")
    subnets = subnet_ids(reader, "subnetIds")
    if vpc_id is None:
        if subnets:
            raise ConfigError(
                "vpcId",
                "is not set but subnetIds is (subnets belong to a VPC)",
                "pulumi config set vpcId vpc-0123456789abcdef0 (the subnets' VPC), or "
                "pulumi config rm subnetIds to use the default VPC",
            )
        return NetworkConfig(vpc_id="", subnet_ids=(), admin_cidrs=admin_cidrs(reader))
    check_ids("vpcId", "vpc-", [vpc_id])
    refuse_placeholders("vpcId", [vpc_id])
    if not subnets:
        raise ConfigError(
            "subnetIds",
            "needs at least one subnet of the VPC",
            f"pulumi config set --path 'subnetIds[0]' {SUBNET_EXAMPLE}",
        )
    check_ids("subnetIds", "subnet-", subnets)
    refuse_placeholders("subnetIds", subnets)
    if len(set(subnets)) != len(subnets):
        raise ConfigError("subnetIds", "lists a subnet twice", "list each subnet once")
    return NetworkConfig(
        vpc_id=vpc_id,
        subnet_ids=tuple(subnets),
        admin_cidrs=admin_cidrs(reader),
    )


def admin_cidrs(reader: Reader) -> tuple[str, ...]:
    """adminCidrs: CIDRs, and `me` for the deployer's own address."""
    return tuple(reader.cidrs("adminCidrs", tokens=(ME,)))
