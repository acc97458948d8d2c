"""Security group rules for the Docker host cluster, as plain data.

Admin ports are reachable only from the CIDRs a stack lists; cluster ports only
between members (a self-referencing rule on the cluster's own security group).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
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


def admin_ingress(cidrs: Iterable[str]) -> list[tuple[PortRule, str]]:
    """Every (admin rule, CIDR) pair, in a stable order."""
    return [(rule, cidr) for rule in ADMIN_RULES for cidr in sorted(set(cidrs))]


def open_to_world(cidr: str) -> bool:
    return cidr in WORLD_CIDRS
