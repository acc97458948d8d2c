"""The cluster security group: admin ports from admin CIDRs, cluster ports between members."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from dockyard.netrules import CLUSTER_RULES, admin_ingress, cidr_slug, is_ipv6


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
        for rule, cidr in admin_ingress(args.get("admin_cidrs", [])):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{rule.name}-{cidr_slug(cidr)}",
                security_group_id=group.id,
                ip_protocol=rule.protocol,
                from_port=rule.from_port,
                to_port=rule.to_port,
                cidr_ipv6=cidr if is_ipv6(cidr) else None,
                cidr_ipv4=None if is_ipv6(cidr) else cidr,
                description=f"{rule.description} from {cidr}",
                tags=tags,
                opts=child,
            )
        for rule in CLUSTER_RULES:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{rule.name}",
                security_group_id=group.id,
                ip_protocol=rule.protocol,
                from_port=rule.from_port,
                to_port=rule.to_port,
                referenced_security_group_id=group.id,
                description=f"{rule.description} (cluster members only)",
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
