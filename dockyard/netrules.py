"""Security group rules for the Docker host cluster, as plain data.

Admin ports are reachable only from the CIDRs a stack lists; cluster ports only
between members (a self-referencing rule on the cluster's own security group).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
CIDR_EXAMPLE = "write it like 203.0.113.0/24, or 198.51.100.7/32 for one address"


@dataclass(frozen=True)
class PortRule:
    """One port range on one protocol."""

    name: str
    protocol: str
    from_port: int
    to_port: int
    description: str


ADMIN_RULES = (
    PortRule("ssh", "tcp", 22, 22, "SSH (Ansible)"),
    PortRule("docker-tls", "tcp", 2376, 2376, "Docker engine API over TLS"),
)

CLUSTER_RULES = (
    PortRule("swarm-manager", "tcp", 2377, 2377, "Docker swarm mode cluster management"),
    PortRule("swarm-gossip-tcp", "tcp", 7946, 7946, "Docker swarm node communication"),
    PortRule("swarm-gossip-udp", "udp", 7946, 7946, "Docker swarm node communication"),
    PortRule("swarm-overlay", "udp", 4789, 4789, "Docker overlay network (VXLAN)"),
    PortRule("consul-server", "tcp", 8300, 8302, "Consul server RPC and Serf LAN/WAN"),
    PortRule("consul-serf-udp", "udp", 8301, 8302, "Consul Serf LAN/WAN"),
    PortRule("consul-http", "tcp", 8500, 8500, "Consul HTTP API"),
    PortRule("flocker", "tcp", 4523, 4524, "Flocker control service and agents"),
)

ADMIN_PORTS = frozenset({22, 2376, 8000, 3306})
"""Ports that must never be open to the world (the policy pack checks these)."""


def normalize_cidr(value: str) -> str:
    """A CIDR in canonical form; ValueError naming the problem when it is not one."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=True))
    except ValueError as err:
        raise ValueError(f"{value!r} is not a CIDR block ({err})") from None


def cidr_slug(cidr: str) -> str:
    """A resource-name-safe form of a CIDR: 10.0.0.0/16 -> 10-0-0-0-16."""
    return cidr.replace(".", "-").replace(":", "-").replace("/", "-").strip("-")


def is_ipv6(cidr: str) -> bool:
    return ipaddress.ip_network(cidr).version == 6


@dataclass(frozen=True)
class CidrIngress:
    """One ingress rule: a port rule from one CIDR, named after the rule and the CIDR."""

    rule: PortRule
    cidr: str
    """Canonical form (normalize_cidr)."""
    suffix: str
    """`<rule>-<cidr slug>`: the resource name's tail, the same wherever the CIDR is listed."""
    legacy_index: int
    """The CIDR's position in the list as given (names before 0.5 used it)."""

    @property
    def ipv6(self) -> bool:
        return is_ipv6(self.cidr)

    @property
    def cidr_ipv4(self) -> str | None:
        """The rule's cidr_ipv4 input (None for an IPv6 block)."""
        return None if self.ipv6 else self.cidr

    @property
    def cidr_ipv6(self) -> str | None:
        """The rule's cidr_ipv6 input (None for an IPv4 block)."""
        return self.cidr if self.ipv6 else None


def cidr_ingress(rules: Iterable[PortRule], cidrs: Sequence[str]) -> list[CidrIngress]:
    """Every (rule, CIDR) pair, sorted by rule then CIDR; a CIDR listed twice (or in two
    spellings of one block) gives one rule. Reordering `cidrs` changes nothing but
    `legacy_index`."""
    first: dict[str, int] = {}
    for index, cidr in enumerate(cidrs):
        first.setdefault(normalize_cidr(cidr), index)
    ordered = sorted(first, key=lambda c: (ipaddress.ip_network(c).version, c))
    return [
        CidrIngress(rule, cidr, f"{rule.name}-{cidr_slug(cidr)}", first[cidr])
        for rule in rules
        for cidr in ordered
    ]


def open_to_world(cidr: str) -> bool:
    return cidr in WORLD_CIDRS
