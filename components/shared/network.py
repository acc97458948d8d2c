"""Where the cluster lives: the VPC and subnets (the account's default VPC, or looked up
from EC2 or another stack), who administers it (`me` resolved to this machine's address),
and the cluster security group (admin ports from admin CIDRs, cluster ports between
members)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws

from components.config import ConfigError, NetworkConfig
from components.config.network import require_distinct_zones, require_two_zones
from dockyard.checkip import ME, CheckIpError, public_ipv4_cidr
from dockyard.hosts.placement import PlacementError, place_hosts
from dockyard.netrules import ADMIN_RULES, CLUSTER_RULES, PortRule, cidr_ingress


@dataclass(frozen=True)
class ReferencedNetwork:
    """The VPC and subnets read from `networkStack`'s outputs."""

    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]

    def subnet(self, index: int) -> pulumi.Output[str]:
        """The subnet for the index-th resource placed round robin (index from 0)."""
        return self.subnet_ids.apply(lambda ids: ids[index % len(ids)])


def _referenced(stack: str, output: str, prefix: str, value: Any) -> Any:
    values = value if isinstance(value, list) else [value]
    if (
        value is None
        or value == []
        or not all(isinstance(v, str) and v.startswith(prefix) for v in values)
    ):
        got = "does not have it" if value is None else f"has {value!r}"
        raise ConfigError(
            "networkStack",
            f"stack {stack} must export {output} ({prefix}... ids) but {got}",
            f"export {output} from {stack}, or set vpcId and subnetIds instead of networkStack",
        )
    return value


def referenced_network(stack: str) -> ReferencedNetwork:
    """vpcId and subnetIds from another stack's outputs (a StackReference); a missing or
    malformed output stops the program with a ConfigError naming it."""
    ref = pulumi.StackReference(f"network-{stack.replace('/', '-')}", stack_name=stack)
    return ReferencedNetwork(
        vpc_id=ref.get_output("vpcId").apply(lambda v: _referenced(stack, "vpcId", "vpc-", v)),
        subnet_ids=ref.get_output("subnetIds").apply(
            lambda v: _referenced(stack, "subnetIds", "subnet-", v)
        ),
    )


@dataclass(frozen=True)
class ResolvedNetwork:
    """The VPC and subnets the program builds in, wherever they came from."""

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    host_subnets: list[pulumi.Input[str]]
    """One subnet per Docker host, round robin."""
    host_zones: list[tuple[str, str]] = field(default_factory=list)
    """Each host's (subnet, zone), where the zones are known (not with networkStack)."""
    default_vpc: bool = False
    """The account's default VPC (subnet_ids are its default subnets, one per zone)."""

    def two_zones(self, key: str, purpose: str, subnets: Sequence[str] = ()) -> list[str]:
        """`subnets` (else the stack's listed or default subnets) for `purpose`, which needs
        each subnet in a zone of its own and two zones or more (a load balancer, EFS mount
        targets), checked against the zones EC2 answers for them; `key` is the setting
        that lists subnets instead."""
        if subnets:
            ids, holder = list(subnets), f"{key} lists"
        else:
            assert isinstance(self.subnet_ids, list), "networkStack: use checked_subnet_ids"
            ids, holder = (
                self.subnet_ids,
                "the default VPC has" if self.default_vpc else ("subnetIds lists"),
            )
        fix = (
            f"pulumi config set --path '{key}[1]' subnet-... (a subnet in a second zone), "
            "or create a default subnet in another zone (aws ec2 create-default-subnet "
            "--availability-zone ZONE)"
            if self.default_vpc and not subnets
            else ""
        )
        require_two_zones(key, purpose, ids, holder=holder, fix=fix)
        require_distinct_zones(key, purpose, subnet_zones(ids), holder=holder, fix=fix)
        return ids

    def checked_subnet_ids(self, key: str, purpose: str) -> pulumi.Input[list[str]]:
        """The stack's subnets checked as two_zones does, also when they are networkStack's
        output (then checked when the output is known: zones from getSubnet)."""
        ids = self.subnet_ids
        if isinstance(ids, list):
            return self.two_zones(key, purpose)
        holder = "networkStack's subnetIds output lists"

        def check(values: list[str]) -> pulumi.Output[list[str]]:
            zones = [aws.ec2.get_subnet_output(id=v).availability_zone for v in values]

            def judged(found: list[str]) -> list[str]:
                require_distinct_zones(
                    key, purpose, list(zip(values, found, strict=True)), holder=holder
                )
                return values

            return pulumi.Output.all(*zones).apply(judged)

        return pulumi.Output.from_input(cast(Any, ids)).apply(check)


def subnets_offering(
    ids: pulumi.Input[Sequence[pulumi.Input[str]]], instance_type: str, key: str
) -> pulumi.Input[Sequence[pulumi.Input[str]]]:
    """The subnets whose zone offers `instance_type` (EC2's offerings), for an Auto Scaling
    group of it; ConfigError on `key` when none does. networkStack's subnets (Outputs)
    are taken as they are."""
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return ids
    offered = set(
        aws.ec2.get_instance_type_offerings(
            location_type="availability-zone",
            filters=[{"name": "instance-type", "values": [instance_type]}],
        ).locations
    )
    kept = [subnet for subnet, zone in subnet_zones(ids) if zone in offered]
    if not kept:
        raise ConfigError(
            key,
            f"{instance_type} is offered in none of the subnets' zones (EC2's instance type "
            "offerings)",
            "choose a type those zones offer, or add a subnet in a zone that offers it",
        )
    return kept


def subnet_zones(ids: Sequence[str]) -> list[tuple[str, str]]:
    """Each subnet with its availability zone, as EC2 answers getSubnet."""
    return [(i, str(aws.ec2.get_subnet(id=i).availability_zone)) for i in ids]


def resolve_network(
    network: NetworkConfig, host_count: int, instance_type: str | None = None
) -> ResolvedNetwork:
    """From networkStack's outputs, the account's default VPC, or vpcId/subnetIds checked
    against EC2's list. The hosts go round robin over the subnets whose zone offers
    `instance_type` (known only for the default VPC and listed subnets; networkStack's
    subnets are Outputs, taken in order)."""
    if network.network_stack is not None:
        referenced = referenced_network(network.network_stack)
        return ResolvedNetwork(
            vpc_id=referenced.vpc_id,
            subnet_ids=referenced.subnet_ids,
            host_subnets=[referenced.subnet(i) for i in range(host_count)],
        )
    if network.default_vpc:
        vpc_id, ids = default_vpc()
    else:
        vpc_subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [network.vpc_id]}])
        check_subnets_in_vpc(network, vpc_subnets.ids)
        vpc_id, ids = network.vpc_id, list(network.subnet_ids)
    placed = _host_subnets(ids, host_count, instance_type)
    return ResolvedNetwork(
        vpc_id=vpc_id,
        subnet_ids=ids,
        host_subnets=[subnet for subnet, _ in placed],
        host_zones=placed,
        default_vpc=network.default_vpc,
    )


def _host_subnets(ids: list[str], count: int, instance_type: str | None) -> list[tuple[str, str]]:
    """dockyard.hosts.placement over the subnets' zones (EC2's answer for each) and the
    zones that offer the instance type: each host's (subnet, zone)."""
    if not count or instance_type is None:
        return []
    zones = subnet_zones(ids)
    offered = aws.ec2.get_instance_type_offerings(
        location_type="availability-zone",
        filters=[{"name": "instance-type", "values": [instance_type]}],
    ).locations
    try:
        placed = place_hosts(zones, set(offered), count, instance_type)
    except PlacementError as err:
        raise ConfigError("instanceType", err.problem, err.fix) from None
    zone_of = dict(zones)
    return [(subnet, zone_of[subnet]) for subnet in placed]


NO_DEFAULT_VPC = "no matching EC2 VPC found"
"""The AWS provider's error when the region has no default VPC."""


def default_vpc() -> tuple[str, list[str]]:
    """The account's default VPC in the stack's region and its default subnets (sorted, so
    the hosts' round robin does not move when EC2 lists them in another order)."""
    try:
        vpc = aws.ec2.get_vpc(default=True)
    except Exception as err:
        if NO_DEFAULT_VPC not in str(err):
            raise
        raise ConfigError(
            "vpcId",
            "is not set and this region has no default VPC",
            "choose the network one of three ways: pulumi config set vpcId vpc-... together "
            "with --path 'subnetIds[0]' subnet-...; or pulumi config set networkStack "
            "ORGANIZATION/PROJECT/STACK (a stack exporting vpcId and subnetIds); or create "
            "the default VPC: aws ec2 create-default-vpc",
        ) from None
    subnets = aws.ec2.get_subnets(
        filters=[
            {"name": "vpc-id", "values": [vpc.id]},
            {"name": "default-for-az", "values": ["true"]},
        ]
    )
    if not subnets.ids:
        raise ConfigError(
            "subnetIds",
            f"is not set and the default VPC {vpc.id} has no default subnets",
            "pulumi config set vpcId and subnetIds, or create default subnets "
            "(aws ec2 create-default-subnet --availability-zone ZONE)",
        )
    return vpc.id, sorted(subnets.ids)


def resolve_admin_cidrs(cidrs: Sequence[str]) -> list[str]:
    """adminCidrs as plain CIDRs: `me` becomes this machine's public IPv4 address (/32),
    looked up now; a failed lookup stops the program (never a silently open port)."""
    if ME not in cidrs:
        return list(cidrs)
    try:
        mine = public_ipv4_cidr()
    except CheckIpError as err:
        raise ConfigError(
            "adminCidrs",
            f"lists `me`, but this machine's public address could not be looked up: {err}",
            "retry when the check-ip endpoint answers, or list the address itself: pulumi "
            "config set --path 'adminCidrs[0]' 203.0.113.7/32",
        ) from None
    return list(dict.fromkeys(mine if cidr == ME else cidr for cidr in cidrs))


def check_subnets_in_vpc(network: NetworkConfig, vpc_subnet_ids: Sequence[str]) -> None:
    """Every configured subnet must be one of the VPC's (as EC2 lists them)."""
    known = set(vpc_subnet_ids)
    for subnet in network.subnet_ids:
        if subnet not in known:
            raise ConfigError(
                "subnetIds",
                f"{subnet} is not a subnet of {network.vpc_id} (its subnets: "
                f"{', '.join(sorted(known)) or 'none'})",
                "list subnets of that VPC, or set vpcId to the VPC the subnets are in",
            )


def open_egress(
    name: str,
    group_id: pulumi.Input[str],
    description: str,
    *,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    ipv6: bool = False,
) -> None:
    """All outbound traffic from a group: rule `name` (IPv4), or with `ipv6` the rules
    `name-ipv4` and `name-ipv6`."""
    families = [("ipv4", "0.0.0.0/0"), ("ipv6", "::/0")] if ipv6 else [("", "0.0.0.0/0")]
    for family, cidr in families:
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-{family}" if family else name,
            security_group_id=group_id,
            ip_protocol="-1",
            cidr_ipv4=None if family == "ipv6" else cidr,
            cidr_ipv6=cidr if family == "ipv6" else None,
            description=description,
            tags=tags,
            opts=opts,
        )


def group_rule(
    name: str,
    group_id: pulumi.Input[str],
    peer_group_id: pulumi.Input[str],
    protocol: str,
    from_port: int,
    to_port: int,
    description: str,
    *,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    egress: bool = False,
) -> None:
    """One rule between two security groups: `group_id` admits the ports from members of
    `peer_group_id` (with `egress`: may send them to its members)."""
    rule = aws.vpc.SecurityGroupEgressRule if egress else aws.vpc.SecurityGroupIngressRule
    rule(
        name,
        security_group_id=group_id,
        referenced_security_group_id=peer_group_id,
        ip_protocol=protocol,
        from_port=from_port,
        to_port=to_port,
        description=description,
        tags=tags,
        opts=opts,
    )


def link_groups(
    name: str,
    source: aws.ec2.SecurityGroup,
    target: aws.ec2.SecurityGroup,
    port: int,
    description: str,
    *,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    egress: bool = False,
) -> None:
    """`target` admits TCP `port` from members of `source` (rule `name`); with `egress`,
    `source` may send only that (rule `name-out`, its only egress rule)."""
    group_rule(name, target.id, source.id, "tcp", port, port, description, tags=tags, opts=opts)
    if egress:
        group_rule(
            f"{name}-out",
            source.id,
            target.id,
            "tcp",
            port,
            port,
            description,
            tags=tags,
            opts=opts,
            egress=True,
        )


def ingress_from_cidrs(
    name: str,
    group_id: pulumi.Input[str],
    rules: Sequence[PortRule],
    cidrs: Sequence[str],
    *,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    legacy_prefix: str | None = None,
    former_parent: pulumi.Resource | None = None,
) -> list[aws.vpc.SecurityGroupIngressRule]:
    """Each rule from each CIDR into `group_id`: rules `name-<rule>-<cidr slug>`, the
    address family's field set (cidr_ipv4 or cidr_ipv6), so reordering `cidrs` changes
    nothing. `legacy_prefix`: the rules were named `<legacy_prefix>-<list index>` before;
    `former_parent`: they were children of that resource before (same names, or the
    legacy ones). An alias keeps each rule (AWS refuses a second, identical rule, so a
    rename or a move without one would fail the update)."""
    created = []
    for ingress in cidr_ingress(rules, cidrs):
        rule = ingress.rule
        aliases = [] if former_parent is None else [pulumi.Alias(parent=former_parent)]
        if legacy_prefix is not None:
            legacy = f"{legacy_prefix}-{ingress.legacy_index}"
            aliases.append(
                pulumi.Alias(name=legacy)
                if former_parent is None
                else pulumi.Alias(name=legacy, parent=former_parent)
            )
        rule_opts = (
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases))
            if aliases
            else opts
        )
        created.append(
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{ingress.suffix}",
                security_group_id=group_id,
                ip_protocol=rule.protocol,
                from_port=rule.from_port,
                to_port=rule.to_port,
                cidr_ipv4=ingress.cidr_ipv4,
                cidr_ipv6=ingress.cidr_ipv6,
                description=f"{rule.description} from {ingress.cidr}",
                tags=tags,
                opts=rule_opts,
            )
        )
    return created


class ClusterNetworkArgs(TypedDict):
    vpc_id: pulumi.Input[str]
    """The existing VPC the cluster lives in."""
    name_prefix: str
    """Prefix of the group's name (the seed's `my-prefix`)."""
    admin_cidrs: NotRequired[list[str]]
    """CIDRs allowed to reach SSH (22) and Docker TLS (2376); none by default."""
    tags: NotRequired[dict[str, str]]
    """Tags for the group and its rules."""


class ClusterNetwork(pulumi.ComponentResource):
    """A security group whose members talk to each other, and admins reach them."""

    security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:network:ClusterNetwork", name, None, opts)
        tags = args.get("tags", {})
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name_prefix=f"{args['name_prefix']}-",
            description=f"dockyard cluster {args['name_prefix']}: admin and member traffic",
            vpc_id=args["vpc_id"],
            tags={**tags, "Name": f"{args['name_prefix']}-cluster"},
            opts=child,
        )
        ingress_from_cidrs(
            name, group.id, ADMIN_RULES, args.get("admin_cidrs", []), tags=tags, opts=child
        )
        for rule in CLUSTER_RULES:
            group_rule(
                f"{name}-{rule.name}",
                group.id,
                group.id,
                rule.protocol,
                rule.from_port,
                rule.to_port,
                f"{rule.description} (cluster members only)",
                tags=tags,
                opts=child,
            )
        open_egress(
            f"{name}-egress",
            group.id,
            "All outbound traffic (packages, AWS APIs)",
            tags=tags,
            opts=child,
            ipv6=True,
        )
        self.security_group_id = group.id
        self.register_outputs({"securityGroupId": group.id})
